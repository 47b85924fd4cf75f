"""im2col, col2im, Convolution, MaxPool: the solutions of assignment2, given here.

Generated from solutions/assignment2 by `cnnbook-release notebooks`; do not edit.
"""

import numpy as np


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """
    Unfold every filter-sized window of a batch of images into a row of a matrix.

    Arguments:
    input_data -- array of shape (N, C, H, W)
    filter_h, filter_w -- the window's height and width
    stride -- step between windows
    pad -- zeros added on each side of the height and width

    Returns:
    col -- array of shape (N*out_h*out_w, C*filter_h*filter_w), rows in (n, i, j) order and
           columns in (c, y, x) order, where out_h = (H + 2*pad - filter_h)//stride + 1 and
           out_w = (W + 2*pad - filter_w)//stride + 1
    """
    N, C, H, W = input_data.shape
    img = np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(img, (filter_h, filter_w), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride]
    col = windows.transpose(1, 4, 5, 0, 2, 3).reshape(C * filter_h * filter_w, -1).T
    return col


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """
    Fold the rows of an im2col matrix back into images, adding overlapping windows.

    Arguments:
    col -- array of shape (N*out_h*out_w, C*filter_h*filter_w), laid out as im2col lays it out
    input_shape -- (N, C, H, W), the shape of the images im2col unfolded
    filter_h, filter_w, stride, pad -- as given to im2col

    Returns:
    img -- array of shape (N, C, H, W)
    """
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    blocks = col.T.reshape(C, filter_h, filter_w, N, out_h, out_w)
    img = np.zeros((C, N, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for y in range(filter_h):
        y_end = y + stride * out_h
        for x in range(filter_w):
            x_end = x + stride * out_w
            img[:, :, y:y_end:stride, x:x_end:stride] += blocks[:, y, x]
    img = img[:, :, pad:pad + H, pad:pad + W].transpose(1, 0, 2, 3)
    return img


class Convolution:
    """
    Convolution layer on channels-first arrays, computed with im2col.

    W -- filters, shape (FN, C, FH, FW); b -- biases, shape (FN,)
    forward(x): x (N, C, H, W) -> out (N, FN, out_h, out_w), where
                out_h = (H + 2*pad - FH)//stride + 1 and out_w = (W + 2*pad - FW)//stride + 1
    backward(dout): dout (N, FN, out_h, out_w) -> dx (N, C, H, W); sets self.dW (shape of W)
                    and self.db (shape of b)
    """

    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        # Kept by forward for backward.
        self.x = None
        self.col = None
        # Set by backward.
        self.dW = None
        self.db = None

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1
        col = im2col(x, FH, FW, self.stride, self.pad)
        out = self.W.reshape(FN, -1) @ col.T + self.b[:, None]
        out = out.reshape(FN, N, out_h, out_w).transpose(1, 0, 2, 3)
        self.x, self.col = x, col
        return out

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(1, 0, 2, 3).reshape(FN, -1)
        self.db = np.sum(dout, axis=1)
        self.dW = (dout @ self.col).reshape(FN, C, FH, FW)
        dcol = (self.W.reshape(FN, -1).T @ dout).T
        dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)
        return dx


class MaxPool:
    """
    Max pooling on channels-first arrays, with -inf padding.

    forward(x): x (N, C, H, W) -> out (N, C, out_h, out_w), where
                out_h = (H + 2*pad - pool_h)//stride + 1 and out_w = (W + 2*pad - pool_w)//stride + 1
    backward(dout): dout (N, C, out_h, out_w) -> dx (N, C, H, W)
    """

    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        # Kept by forward for backward: x, and the mask of each window's maximum,
        # shape (C, pool_h*pool_w, N*out_h*out_w).
        self.x = None
        self.mask = None

    def forward(self, x):
        N, C, H, W = x.shape
        p = self.pad
        out_h = (H + 2 * p - self.pool_h) // self.stride + 1
        out_w = (W + 2 * p - self.pool_w) // self.stride + 1
        x_pad = np.pad(x.astype(float, copy=False), ((0, 0), (0, 0), (p, p), (p, p)),
                       constant_values=-np.inf)
        col = im2col(x_pad, self.pool_h, self.pool_w, self.stride, 0)
        windows = col.T.reshape(C, self.pool_h * self.pool_w, -1)
        out = np.max(windows, axis=1)
        self.mask = windows == out[:, None]
        out = out.reshape(C, N, out_h, out_w).transpose(1, 0, 2, 3)
        self.x = x
        return out

    def backward(self, dout):
        N, C, H, W = self.x.shape
        p = self.pad
        dout = dout.transpose(1, 0, 2, 3).reshape(C, 1, -1)
        dcol = (self.mask * dout).reshape(C * self.pool_h * self.pool_w, -1).T
        dx_pad = col2im(dcol, (N, C, H + 2 * p, W + 2 * p), self.pool_h, self.pool_w, self.stride, 0)
        dx = dx_pad[:, :, p:p + H, p:p + W]
        return dx

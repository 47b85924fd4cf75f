"""The public tests of Assignment 2 against the mistakes learners make.

As in test_learner_bugs.py: each buggy function or class below is what a learner
might write, correct code with one mistake, and its public test must fail with a
hint that points at that mistake, not only fail. The mistakes come in the two forms
learners write: row by row, one row per window, as the source exercise does (the
loops and the layers at the top of each section), and column by column, as the
solutions do (the "by_columns" and "FilterRows" ones). Correct code written other
ways (sliding_window_view, np.add.at, a mask instead of argmax, np.average, np.dot
or np.tensordot instead of @) must pass.

With the instructor package installed, ``check`` swaps the reference im2col and
col2im in for the ones a layer's methods call (they look them up in this module's
globals), so a bug in im2col or col2im is caught by its own check and a layer's
bug has to be in its own methods. A buggy layer below is the correct layer with
one method rewritten, as a subclass: the method is the learner's whole method.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import public_tests

ROOT = Path(__file__).resolve().parent.parent


def run_public_test(name, target):
    getattr(public_tests, f"{name.lower()}_test")(target)


# Correct im2col and col2im, under the names the notebook gives them ------------------

def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    img = np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w), dtype=img.dtype)
    for y in range(filter_h):
        y_end = y + stride * out_h
        for x in range(filter_w):
            x_end = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_end:stride, x:x_end:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for y in range(filter_h):
        y_end = y + stride * out_h
        for x in range(filter_w):
            x_end = x + stride * out_w
            img[:, :, y:y_end:stride, x:x_end:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad:pad + H, pad:pad + W]


# im2col -------------------------------------------------------------------------------

def _im2col_windows(input_data, filter_h, filter_w, stride, pad):
    """The row-by-row loop up to the 6-D col (N, C, filter_h, filter_w, out_h, out_w)."""
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    img = np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))
    for y in range(filter_h):
        y_end = y + stride * out_h
        for x in range(filter_w):
            x_end = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_end:stride, x:x_end:stride]
    return col


def im2col_columns_yxc(input_data, filter_h, filter_w, stride=1, pad=0):
    # Channels last inside each row, as in a channels-last im2col.
    col = _im2col_windows(input_data, filter_h, filter_w, stride, pad)
    return col.transpose(0, 4, 5, 2, 3, 1).reshape(-1, col.shape[1] * filter_h * filter_w)


def im2col_rows_nji(input_data, filter_h, filter_w, stride=1, pad=0):
    # The windows go column by column.
    col = _im2col_windows(input_data, filter_h, filter_w, stride, pad)
    return col.transpose(0, 5, 4, 1, 2, 3).reshape(-1, col.shape[1] * filter_h * filter_w)


def im2col_ignores_stride(input_data, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    img = np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))
    for y in range(filter_h):
        for x in range(filter_w):
            col[:, :, y, x, :, :] = img[:, :, y:y + out_h, x:x + out_w]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def im2col_ignores_padding(input_data, filter_h, filter_w, stride=1, pad=0):
    # out_h counts the padding, but the windows are cut from the unpadded input.
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))
    for y in range(filter_h):
        y_end = y + stride * out_h
        for x in range(filter_w):
            x_end = x + stride * out_w
            col[:, :, y, x, :, :] = input_data[:, :, y:y_end:stride, x:x_end:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def im2col_sliding_window_ignores_padding(input_data, filter_h, filter_w, stride=1, pad=0):
    N, C = input_data.shape[:2]
    windows = sliding_window_view(input_data, (filter_h, filter_w), axis=(2, 3))[:, :, ::stride, ::stride]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(-1, C * filter_h * filter_w)


def im2col_stub(input_data, filter_h, filter_w, stride=1, pad=0):
    raise NotImplementedError()


def im2col_returns_none(input_data, filter_h, filter_w, stride=1, pad=0):
    col = None
    return col


def im2col_sliding_window(input_data, filter_h, filter_w, stride=1, pad=0):
    N, C = input_data.shape[:2]
    img = np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_window_view(img, (filter_h, filter_w), axis=(2, 3))[:, :, ::stride, ::stride]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(-1, C * filter_h * filter_w)


def im2col_float_buffer(input_data, filter_h, filter_w, stride=1, pad=0):
    # np.zeros without dtype: a float col whatever the input's dtype.
    col = _im2col_windows(input_data, filter_h, filter_w, stride, pad)
    N, C, _, _, out_h, out_w = col.shape
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def _im2col_column_blocks(input_data, filter_h, filter_w, stride, pad):
    """The solution's windows view, (N, C, out_h, out_w, filter_h, filter_w)."""
    img = np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    return sliding_window_view(img, (filter_h, filter_w), axis=(2, 3))[:, :, ::stride, ::stride]


def im2col_by_columns(input_data, filter_h, filter_w, stride=1, pad=0):
    # The solution: columns first, then .T.
    C = input_data.shape[1]
    windows = _im2col_column_blocks(input_data, filter_h, filter_w, stride, pad)
    return windows.transpose(1, 4, 5, 0, 2, 3).reshape(C * filter_h * filter_w, -1).T


def im2col_by_columns_no_T(input_data, filter_h, filter_w, stride=1, pad=0):
    C = input_data.shape[1]
    windows = _im2col_column_blocks(input_data, filter_h, filter_w, stride, pad)
    return windows.transpose(1, 4, 5, 0, 2, 3).reshape(C * filter_h * filter_w, -1)


def im2col_by_columns_yxc(input_data, filter_h, filter_w, stride=1, pad=0):
    C = input_data.shape[1]
    windows = _im2col_column_blocks(input_data, filter_h, filter_w, stride, pad)
    return windows.transpose(4, 5, 1, 0, 2, 3).reshape(C * filter_h * filter_w, -1).T


def im2col_by_columns_rows_nji(input_data, filter_h, filter_w, stride=1, pad=0):
    C = input_data.shape[1]
    windows = _im2col_column_blocks(input_data, filter_h, filter_w, stride, pad)
    return windows.transpose(1, 4, 5, 0, 3, 2).reshape(C * filter_h * filter_w, -1).T


def im2col_reshape_without_transpose(input_data, filter_h, filter_w, stride=1, pad=0):
    # The windows view flattened as it is: the shape is right, the order is not.
    C = input_data.shape[1]
    windows = _im2col_column_blocks(input_data, filter_h, filter_w, stride, pad)
    return windows.reshape(-1, C * filter_h * filter_w)


def im2col_by_columns_ignores_stride(input_data, filter_h, filter_w, stride=1, pad=0):
    # Every window at stride 1: no [:, :, ::stride, ::stride].
    C = input_data.shape[1]
    img = np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_window_view(img, (filter_h, filter_w), axis=(2, 3))
    return windows.transpose(1, 4, 5, 0, 2, 3).reshape(C * filter_h * filter_w, -1).T


# col2im -------------------------------------------------------------------------------

def col2im_assigns(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for y in range(filter_h):
        y_end = y + stride * out_h
        for x in range(filter_w):
            x_end = x + stride * out_w
            img[:, :, y:y_end:stride, x:x_end:stride] = col[:, :, y, x, :, :]
    return img[:, :, pad:pad + H, pad:pad + W]


def col2im_keeps_padding(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for y in range(filter_h):
        y_end = y + stride * out_h
        for x in range(filter_w):
            x_end = x + stride * out_w
            img[:, :, y:y_end:stride, x:x_end:stride] += col[:, :, y, x, :, :]
    return img


def col2im_ignores_stride(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for y in range(filter_h):
        for x in range(filter_w):
            img[:, :, y:y + out_h, x:x + out_w] += col[:, :, y, x, :, :]
    return img[:, :, pad:pad + H, pad:pad + W]


def col2im_stub(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    raise NotImplementedError()


def col2im_returns_none(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    img = None
    return img


def col2im_add_at(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    blocks = col.reshape(N, out_h, out_w, C, filter_h, filter_w)
    rows = (np.arange(out_h) * stride)[:, None, None, None] + np.arange(filter_h)[None, None, :, None]
    cols = (np.arange(out_w) * stride)[None, :, None, None] + np.arange(filter_w)[None, None, None, :]
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for n in range(N):
        for c in range(C):
            np.add.at(img[n, c], (rows, cols), blocks[n, :, :, c])
    return img[:, :, pad:pad + H, pad:pad + W]


def _col2im_by_columns(col, input_shape, filter_h, filter_w, stride, pad, add=True, batch_first=True):
    """The solution's col2im, or one of two mistakes in it."""
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    blocks = col.T.reshape(C, filter_h, filter_w, N, out_h, out_w)
    img = np.zeros((C, N, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for y in range(filter_h):
        y_end = y + stride * out_h
        for x in range(filter_w):
            x_end = x + stride * out_w
            if add:
                img[:, :, y:y_end:stride, x:x_end:stride] += blocks[:, y, x]
            else:
                img[:, :, y:y_end:stride, x:x_end:stride] = blocks[:, y, x]
    img = img[:, :, pad:pad + H, pad:pad + W]
    return img.transpose(1, 0, 2, 3) if batch_first else img


def col2im_by_columns(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    return _col2im_by_columns(col, input_shape, filter_h, filter_w, stride, pad)


def col2im_by_columns_assigns(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    return _col2im_by_columns(col, input_shape, filter_h, filter_w, stride, pad, add=False)


def col2im_by_columns_batch_second(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    # Returns the (C, N, H, W) image it filled, without the final transpose.
    return _col2im_by_columns(col, input_shape, filter_h, filter_w, stride, pad, batch_first=False)


def col2im_by_columns_without_T(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    # Splits col itself, not col.T, into (C, filter_h, filter_w, N, out_h, out_w).
    return _col2im_by_columns(np.ascontiguousarray(col.T), input_shape, filter_h, filter_w, stride, pad)


def col2im_by_columns_slices_without_stride(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    # y_end = y + out_h: the slice has too few cells once stride > 1.
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    blocks = col.T.reshape(C, filter_h, filter_w, N, out_h, out_w)
    img = np.zeros((C, N, H + 2 * pad, W + 2 * pad))
    for y in range(filter_h):
        for x in range(filter_w):
            img[:, :, y:y + out_h:stride, x:x + out_w:stride] += blocks[:, y, x]
    return img[:, :, pad:pad + H, pad:pad + W].transpose(1, 0, 2, 3)


def col2im_by_columns_batch_first_image(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    # The image kept as (N, C, ...), the blocks being (C, N, ...).
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    blocks = col.T.reshape(C, filter_h, filter_w, N, out_h, out_w)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for y in range(filter_h):
        y_end = y + stride * out_h
        for x in range(filter_w):
            x_end = x + stride * out_w
            img[:, :, y:y_end:stride, x:x_end:stride] += blocks[:, y, x]
    return img[:, :, pad:pad + H, pad:pad + W]


def col2im_by_columns_crops_with_minus_pad(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    blocks = col.T.reshape(C, filter_h, filter_w, N, out_h, out_w)
    img = np.zeros((C, N, H + 2 * pad, W + 2 * pad))
    for y in range(filter_h):
        y_end = y + stride * out_h
        for x in range(filter_w):
            x_end = x + stride * out_w
            img[:, :, y:y_end:stride, x:x_end:stride] += blocks[:, y, x]
    return img[:, :, pad:-pad, pad:-pad].transpose(1, 0, 2, 3)


def col2im_by_columns_out_h_without_pad(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    out_h = (H - filter_h) // stride + 1
    out_w = (W - filter_w) // stride + 1
    blocks = col.T.reshape(C, filter_h, filter_w, N, out_h, out_w)
    img = np.zeros((C, N, H + 2 * pad, W + 2 * pad))
    for y in range(filter_h):
        y_end = y + stride * out_h
        for x in range(filter_w):
            x_end = x + stride * out_w
            img[:, :, y:y_end:stride, x:x_end:stride] += blocks[:, y, x]
    return img[:, :, pad:pad + H, pad:pad + W].transpose(1, 0, 2, 3)


# Convolution --------------------------------------------------------------------------

class Convolution:
    """The layer one row per window, as the source exercise writes it: each buggy layer
    below rewrites one of its methods."""

    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.x = None
        self.col = None
        self.col_W = None
        self.dW = None
        self.db = None

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1
        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T
        out = col @ col_W + self.b
        out = out.reshape(N, out_h, out_w, FN).transpose(0, 3, 1, 2)
        self.x, self.col, self.col_W = x, col, col_W
        return out

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = (self.col.T @ dout).T.reshape(FN, C, FH, FW)
        dcol = dout @ self.col_W.T
        dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)
        return dx


class ConvolutionChannelsLast(Convolution):
    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1
        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T
        out = col @ col_W + self.b
        out = out.reshape(N, out_h, out_w, FN)
        self.x, self.col, self.col_W = x, col, col_W
        return out


class ConvolutionReshapeNoTranspose(Convolution):
    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1
        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T
        out = col @ col_W + self.b
        out = out.reshape(N, FN, out_h, out_w)
        self.x, self.col, self.col_W = x, col, col_W
        return out


class ConvolutionModifiesX(Convolution):
    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1
        col = im2col(x, FH, FW, self.stride, self.pad)
        x[...] = 0  # "free" the input: backward only needs its shape
        col_W = self.W.reshape(FN, -1).T
        out = col @ col_W + self.b
        out = out.reshape(N, out_h, out_w, FN).transpose(0, 3, 1, 2)
        self.x, self.col, self.col_W = x, col, col_W
        return out


class ConvolutionDbWrongAxis(Convolution):
    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=1)
        self.dW = (self.col.T @ dout).T.reshape(FN, C, FH, FW)
        dcol = dout @ self.col_W.T
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class ConvolutionDbOverAllAxes(Convolution):
    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        self.db = np.full(FN, np.sum(dout))  # the sum of everything, for each filter
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.dW = (self.col.T @ dout).T.reshape(FN, C, FH, FW)
        dcol = dout @ self.col_W.T
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class ConvolutionDwNoTranspose(Convolution):
    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = (self.col.T @ dout).reshape(FN, C, FH, FW)
        dcol = dout @ self.col_W.T
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class ConvolutionDwColumnsAsYXC(Convolution):
    # Reads the columns of col as (y, x, c), as for channels-last data.
    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = (self.col.T @ dout).T.reshape(FN, FH, FW, C).transpose(0, 3, 1, 2)
        dcol = dout @ self.col_W.T
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class ConvolutionDwNotReshaped(Convolution):
    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = (self.col.T @ dout).T
        dcol = dout @ self.col_W.T
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class ConvolutionDoutNotRearranged(Convolution):
    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = (self.col.T @ dout).T.reshape(FN, C, FH, FW)
        dcol = dout @ self.col_W.T
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class ConvolutionDoutNotRearrangedDbRight(Convolution):
    # db from the 4-D dout, right; dW and dx from dout.reshape(-1, FN), wrong.
    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        self.db = np.sum(dout, axis=(0, 2, 3))
        dout = dout.reshape(-1, FN)
        self.dW = (self.col.T @ dout).T.reshape(FN, C, FH, FW)
        dcol = dout @ self.col_W.T
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class ConvolutionLocalDw(Convolution):
    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        dW = (self.col.T @ dout).T.reshape(FN, C, FH, FW)  # noqa: F841 (never stored)
        dcol = dout @ self.col_W.T
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class ConvolutionUpdatesW(Convolution):
    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = (self.col.T @ dout).T.reshape(FN, C, FH, FW)
        dcol = dout @ self.col_W.T
        dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)
        self.W -= 0.01 * self.dW  # a gradient step, "while we are at it"
        self.b -= 0.01 * self.db
        return dx


class ConvolutionInitStub(Convolution):
    def __init__(self, W, b, stride=1, pad=0):
        raise NotImplementedError()


class ConvolutionForwardStub(Convolution):
    def forward(self, x):
        raise NotImplementedError()


class ConvolutionBackwardStub(Convolution):
    def backward(self, dout):
        raise NotImplementedError()


class ConvolutionForwardReturnsNone(Convolution):
    def forward(self, x):
        out = None
        return out


class ConvolutionBackwardReturnsNone(Convolution):
    def backward(self, dout):
        dx = None
        return dx


class ConvolutionDot(Convolution):
    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1
        self.x = x
        self.col = im2col(x, FH, FW, self.stride, self.pad)
        self.col_W = self.W.reshape(FN, -1).T
        out = np.dot(self.col, self.col_W) + self.b
        return out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = dout.sum(axis=0)
        self.dW = np.dot(dout.T, self.col).reshape(self.W.shape)
        dcol = np.dot(dout, self.col_W.T)
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class ConvolutionTensordot(Convolution):
    # No im2col at all: windows from sliding_window_view, contracted with tensordot.
    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        s, p = self.stride, self.pad
        self.x = x
        x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        self.windows = sliding_window_view(x_pad, (FH, FW), axis=(2, 3))[:, :, ::s, ::s]
        out = np.tensordot(self.windows, self.W, axes=([1, 4, 5], [1, 2, 3]))  # (N, oh, ow, FN)
        return np.moveaxis(out + self.b, 3, 1)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        N, _, H, W = self.x.shape
        s, p = self.stride, self.pad
        self.db = np.sum(dout, axis=(0, 2, 3))
        self.dW = np.tensordot(dout, self.windows, axes=([0, 2, 3], [0, 2, 3]))
        dwin = np.tensordot(dout, self.W, axes=([1], [0]))  # (N, oh, ow, C, FH, FW)
        dx_pad = np.zeros((N, C, H + 2 * p, W + 2 * p))
        for y in range(FH):
            for x in range(FW):
                dx_pad[:, :, y:y + s * dout.shape[2]:s, x:x + s * dout.shape[3]:s] += \
                    np.moveaxis(dwin[..., y, x], 3, 1)
        return dx_pad[:, :, p:p + H, p:p + W]


# The solution's layer, one row per filter and one column per window, as Assignment 3 gives
# it: the layers below rewrite one of its methods.
_spec = importlib.util.spec_from_file_location("fast_layers", ROOT / "notebooks" / "assignment3" / "fast_layers.py")
fast_layers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fast_layers)
ConvolutionFilterRows = fast_layers.Convolution


class ConvolutionFilterRowsBatchSecond(ConvolutionFilterRows):
    # Forgets the final transpose: (FN, N, out_h, out_w).
    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1
        col = im2col(x, FH, FW, self.stride, self.pad)
        out = self.W.reshape(FN, -1) @ col.T + self.b[:, None]
        out = out.reshape(FN, N, out_h, out_w)
        self.x, self.col = x, col
        return out


class ConvolutionFilterRowsReshapeNoTranspose(ConvolutionFilterRows):
    # Reshapes the (FN, N*out_h*out_w) product straight to (N, FN, out_h, out_w).
    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1
        col = im2col(x, FH, FW, self.stride, self.pad)
        out = self.W.reshape(FN, -1) @ col.T + self.b[:, None]
        out = out.reshape(N, FN, out_h, out_w)
        self.x, self.col = x, col
        return out


class ConvolutionFilterRowsBiasAsRow(ConvolutionFilterRows):
    # + self.b adds b along the windows, not along the filters.
    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1
        col = im2col(x, FH, FW, self.stride, self.pad)
        out = self.W.reshape(FN, -1) @ col.T + self.b
        out = out.reshape(FN, N, out_h, out_w).transpose(1, 0, 2, 3)
        self.x, self.col = x, col
        return out


class ConvolutionFilterRowsDoutNotRearranged(ConvolutionFilterRows):
    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.reshape(FN, -1)
        self.db = np.sum(dout, axis=1)
        self.dW = (dout @ self.col).reshape(FN, C, FH, FW)
        dcol = (self.W.reshape(FN, -1).T @ dout).T
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class ConvolutionFilterRowsDbWrongAxis(ConvolutionFilterRows):
    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(1, 0, 2, 3).reshape(FN, -1)
        self.db = np.sum(dout, axis=0)
        self.dW = (dout @ self.col).reshape(FN, C, FH, FW)
        dcol = (self.W.reshape(FN, -1).T @ dout).T
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class ConvolutionFilterRowsDwTransposed(ConvolutionFilterRows):
    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(1, 0, 2, 3).reshape(FN, -1)
        self.db = np.sum(dout, axis=1)
        self.dW = (dout @ self.col).T.reshape(FN, C, FH, FW)
        dcol = (self.W.reshape(FN, -1).T @ dout).T
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class ConvolutionFilterRowsDcolNotTransposed(ConvolutionFilterRows):
    # dcol left as (C*FH*FW, N*out_h*out_w).
    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(1, 0, 2, 3).reshape(FN, -1)
        self.db = np.sum(dout, axis=1)
        self.dW = (dout @ self.col).reshape(FN, C, FH, FW)
        dcol = self.W.reshape(FN, -1).T @ dout
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class ConvolutionFilterRowsIm2colWithoutStride(ConvolutionFilterRows):
    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1
        col = im2col(x, FH, FW)
        out = self.W.reshape(FN, -1) @ col.T + self.b[:, None]
        out = out.reshape(FN, N, out_h, out_w).transpose(1, 0, 2, 3)
        self.x, self.col = x, col
        return out


class ConvolutionFilterRowsColNotTransposed(ConvolutionFilterRows):
    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1
        col = im2col(x, FH, FW, self.stride, self.pad)
        out = self.W.reshape(FN, -1) @ col + self.b[:, None]
        out = out.reshape(FN, N, out_h, out_w).transpose(1, 0, 2, 3)
        self.x, self.col = x, col
        return out


class ConvolutionFilterRowsCol2imWithoutStride(ConvolutionFilterRows):
    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(1, 0, 2, 3).reshape(FN, -1)
        self.db = np.sum(dout, axis=1)
        self.dW = (dout @ self.col).reshape(FN, C, FH, FW)
        dcol = (self.W.reshape(FN, -1).T @ dout).T
        return col2im(dcol, self.x.shape, FH, FW)


# MaxPool ------------------------------------------------------------------------------

class MaxPool:
    """The layer row by row, one row per window and channel, with argmax: each buggy layer below
    rewrites one of its methods."""

    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x = None
        self.arg_max = None

    def forward(self, x):
        N, C, H, W = x.shape
        p = self.pad
        out_h = (H + 2 * p - self.pool_h) // self.stride + 1
        out_w = (W + 2 * p - self.pool_w) // self.stride + 1
        x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        col = im2col(x_pad, self.pool_h, self.pool_w, self.stride, 0)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        self.arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
        self.x = x
        return out

    def backward(self, dout):
        N, C, H, W = self.x.shape
        p = self.pad
        size = self.pool_h * self.pool_w
        dout = dout.transpose(0, 2, 3, 1)
        dmax = np.zeros((dout.size, size))
        dmax[np.arange(self.arg_max.size), self.arg_max] = dout.ravel()
        dcol = dmax.reshape(dout.shape[0] * dout.shape[1] * dout.shape[2], -1)
        dx_pad = col2im(dcol, (N, C, H + 2 * p, W + 2 * p), self.pool_h, self.pool_w, self.stride, 0)
        return dx_pad[:, :, p:p + H, p:p + W]


class MaxPoolNoReshape(MaxPool):
    # The max of the whole row of col: all channels of a window at once.
    def forward(self, x):
        N, C, H, W = x.shape
        p = self.pad
        out_h = (H + 2 * p - self.pool_h) // self.stride + 1
        out_w = (W + 2 * p - self.pool_w) // self.stride + 1
        x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        col = im2col(x_pad, self.pool_h, self.pool_w, self.stride, 0)
        self.arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
        self.x = x
        return out


class MaxPoolAcrossChannels(MaxPool):
    # Same mistake, with the shape "fixed" by repeating the maximum for each channel.
    def forward(self, x):
        N, C, H, W = x.shape
        p = self.pad
        out_h = (H + 2 * p - self.pool_h) // self.stride + 1
        out_w = (W + 2 * p - self.pool_w) // self.stride + 1
        x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        col = im2col(x_pad, self.pool_h, self.pool_w, self.stride, 0)
        out = np.repeat(np.max(col, axis=1), C)
        self.arg_max = np.argmax(col.reshape(-1, self.pool_h * self.pool_w), axis=1)
        self.x = x
        return out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)


class MaxPoolOverChannelAxis(MaxPool):
    # Splits each row of col into (C, window) and takes the max over C.
    def forward(self, x):
        N, C, H, W = x.shape
        p = self.pad
        out_h = (H + 2 * p - self.pool_h) // self.stride + 1
        out_w = (W + 2 * p - self.pool_w) // self.stride + 1
        x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        col = im2col(x_pad, self.pool_h, self.pool_w, self.stride, 0)
        col = col.reshape(-1, C, self.pool_h * self.pool_w)
        self.arg_max = np.argmax(col.reshape(-1, self.pool_h * self.pool_w), axis=1)
        out = np.max(col, axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
        self.x = x
        return out


class MaxPoolZeroPadding(MaxPool):
    def forward(self, x):
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1
        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        self.arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
        self.x = x
        return out

    def backward(self, dout):
        N, C, H, W = self.x.shape
        size = self.pool_h * self.pool_w
        dout = dout.transpose(0, 2, 3, 1)
        dmax = np.zeros((dout.size, size))
        dmax[np.arange(self.arg_max.size), self.arg_max] = dout.ravel()
        dcol = dmax.reshape(dout.shape[0] * dout.shape[1] * dout.shape[2], -1)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)


class MaxPoolChannelsFirstReshape(MaxPool):
    def forward(self, x):
        N, C, H, W = x.shape
        p = self.pad
        out_h = (H + 2 * p - self.pool_h) // self.stride + 1
        out_w = (W + 2 * p - self.pool_w) // self.stride + 1
        x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        col = im2col(x_pad, self.pool_h, self.pool_w, self.stride, 0)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        self.arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1).reshape(N, C, out_h, out_w)
        self.x = x
        return out


class MaxPoolDoutNotRearranged(MaxPool):
    # dout in its own (n, c, i, j) order, while the rows of dmax go (n, i, j, c).
    def backward(self, dout):
        N, C, H, W = self.x.shape
        p = self.pad
        size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, size))
        dmax[np.arange(self.arg_max.size), self.arg_max] = dout.ravel()
        dcol = dmax.reshape(-1, C * size)
        dx_pad = col2im(dcol, (N, C, H + 2 * p, W + 2 * p), self.pool_h, self.pool_w, self.stride, 0)
        return dx_pad[:, :, p:p + H, p:p + W]


class MaxPoolDoutToWholeWindow(MaxPool):
    # Every value of the window gets the gradient, not only the maximum.
    def backward(self, dout):
        N, C, H, W = self.x.shape
        p = self.pad
        size = self.pool_h * self.pool_w
        dout = dout.transpose(0, 2, 3, 1)
        dmax = np.repeat(dout.reshape(-1, 1), size, axis=1)
        dcol = dmax.reshape(-1, C * size)
        dx_pad = col2im(dcol, (N, C, H + 2 * p, W + 2 * p), self.pool_h, self.pool_w, self.stride, 0)
        return dx_pad[:, :, p:p + H, p:p + W]


class MaxPoolArgmaxAsColumn(MaxPool):
    # dmax[:, arg_max]: every row gets every window's position.
    def backward(self, dout):
        N, C, H, W = self.x.shape
        p = self.pad
        size = self.pool_h * self.pool_w
        dout = dout.transpose(0, 2, 3, 1)
        dmax = np.zeros((dout.size, size))
        dmax[:, self.arg_max] = dout.reshape(-1, 1)
        dcol = dmax.reshape(-1, C * size)
        dx_pad = col2im(dcol, (N, C, H + 2 * p, W + 2 * p), self.pool_h, self.pool_w, self.stride, 0)
        return dx_pad[:, :, p:p + H, p:p + W]


class MaxPoolKeepsPadding(MaxPool):
    def backward(self, dout):
        N, C, H, W = self.x.shape
        p = self.pad
        size = self.pool_h * self.pool_w
        dout = dout.transpose(0, 2, 3, 1)
        dmax = np.zeros((dout.size, size))
        dmax[np.arange(self.arg_max.size), self.arg_max] = dout.ravel()
        dcol = dmax.reshape(-1, C * size)
        return col2im(dcol, (N, C, H + 2 * p, W + 2 * p), self.pool_h, self.pool_w, self.stride, 0)


class MaxPoolCropsWithMinusPad(MaxPool):
    def backward(self, dout):
        N, C, H, W = self.x.shape
        p = self.pad
        size = self.pool_h * self.pool_w
        dout = dout.transpose(0, 2, 3, 1)
        dmax = np.zeros((dout.size, size))
        dmax[np.arange(self.arg_max.size), self.arg_max] = dout.ravel()
        dcol = dmax.reshape(-1, C * size)
        dx_pad = col2im(dcol, (N, C, H + 2 * p, W + 2 * p), self.pool_h, self.pool_w, self.stride, 0)
        return dx_pad[:, :, p:-p, p:-p]


class MaxPoolForwardStub(MaxPool):
    def forward(self, x):
        raise NotImplementedError()


class MaxPoolBackwardStub(MaxPool):
    def backward(self, dout):
        raise NotImplementedError()


class MaxPoolBackwardReturnsNone(MaxPool):
    def backward(self, dout):
        dx = None
        return dx


class MaxPoolMask(MaxPool):
    # The gradient goes to every cell equal to its window's max (no ties in the public data).
    def forward(self, x):
        N, C, H, W = x.shape
        p = self.pad
        out_h = (H + 2 * p - self.pool_h) // self.stride + 1
        out_w = (W + 2 * p - self.pool_w) // self.stride + 1
        x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        self.col = im2col(x_pad, self.pool_h, self.pool_w, self.stride, 0).reshape(-1, self.pool_h * self.pool_w)
        self.x = x
        return self.col.max(axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        N, C, H, W = self.x.shape
        p = self.pad
        mask = self.col == self.col.max(axis=1, keepdims=True)
        dcol = mask * dout.transpose(0, 2, 3, 1).reshape(-1, 1)
        dcol = dcol.reshape(-1, C * self.pool_h * self.pool_w)
        dx_pad = col2im(dcol, (N, C, H + 2 * p, W + 2 * p), self.pool_h, self.pool_w, self.stride, 0)
        return dx_pad[:, :, p:p + H, p:p + W]


class MaxPoolFloatInput(MaxPool):
    # Casts x to float first, so that integer images can take the -inf padding too.
    def forward(self, x):
        return super().forward(np.asarray(x, dtype=float))


# AvgPool ------------------------------------------------------------------------------

class AvgPool:
    """The layer row by row, one row per window and channel: each buggy layer below rewrites one
    of its methods."""

    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x = None

    def forward(self, x):
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1
        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        out = np.mean(col, axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
        self.x = x
        return out

    def backward(self, dout):
        size = self.pool_h * self.pool_w
        dout = dout.transpose(0, 2, 3, 1)
        dcol = np.repeat(dout.reshape(-1, 1) / size, size, axis=1)
        dcol = dcol.reshape(dout.shape[0] * dout.shape[1] * dout.shape[2], -1)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)


class AvgPoolBackwardUndivided(AvgPool):
    def backward(self, dout):
        size = self.pool_h * self.pool_w
        dout = dout.transpose(0, 2, 3, 1)
        dcol = np.repeat(dout.reshape(-1, 1), size, axis=1)
        dcol = dcol.reshape(dout.shape[0] * dout.shape[1] * dout.shape[2], -1)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)


class AvgPoolDividesByPoolH(AvgPool):
    def forward(self, x):
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1
        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        out = (np.sum(col, axis=1) / self.pool_h).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
        self.x = x
        return out


class AvgPoolSkipsPadding(AvgPool):
    # Averages over the cells of x only (count_include_pad=False), not over the full window.
    def forward(self, x):
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1
        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        counts = im2col(np.ones_like(x), self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        counts = counts.reshape(-1, self.pool_h * self.pool_w)
        out = (col.sum(axis=1) / counts.sum(axis=1)).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
        self.x = x
        return out


class AvgPoolDoutNotRearranged(AvgPool):
    def backward(self, dout):
        size = self.pool_h * self.pool_w
        dcol = np.repeat(dout.reshape(-1, 1) / size, size, axis=1)
        dcol = dcol.reshape(-1, dout.shape[1] * size)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)


class AvgPoolForwardStub(AvgPool):
    def forward(self, x):
        raise NotImplementedError()


class AvgPoolBackwardStub(AvgPool):
    def backward(self, dout):
        raise NotImplementedError()


class AvgPoolForwardReturnsNone(AvgPool):
    def forward(self, x):
        return None


class AvgPoolAverage(AvgPool):
    def forward(self, x):
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1
        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad).reshape(-1, self.pool_h * self.pool_w)
        self.x = x
        return np.average(col, axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        size = self.pool_h * self.pool_w
        rows = dout.transpose(0, 2, 3, 1).reshape(-1, 1)
        dcol = (np.ones((rows.shape[0], size)) * rows / size).reshape(-1, self.x.shape[1] * size)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)


class AvgPoolSlidingMean(AvgPool):
    # No im2col: the mean of each window of sliding_window_view, channels kept in place.
    def forward(self, x):
        s, p = self.stride, self.pad
        self.x = x
        x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        windows = sliding_window_view(x_pad, (self.pool_h, self.pool_w), axis=(2, 3))[:, :, ::s, ::s]
        return windows.mean(axis=(4, 5))


# Pooling column by column, as the solutions do -------------------------------------------

class MaxPoolByColumns(MaxPool):
    """The solution's layer: windows = col.T.reshape(C, pool_h*pool_w, -1), a mask of the max."""

    def forward(self, x):
        N, C, H, W = x.shape
        p = self.pad
        out_h = (H + 2 * p - self.pool_h) // self.stride + 1
        out_w = (W + 2 * p - self.pool_w) // self.stride + 1
        x_pad = np.pad(x.astype(float, copy=False), ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        col = im2col(x_pad, self.pool_h, self.pool_w, self.stride, 0)
        windows = col.T.reshape(C, self.pool_h * self.pool_w, -1)
        out = np.max(windows, axis=1)
        self.mask = windows == out[:, None]
        self.x = x
        return out.reshape(C, N, out_h, out_w).transpose(1, 0, 2, 3)

    def backward(self, dout):
        N, C, H, W = self.x.shape
        p = self.pad
        dout = dout.transpose(1, 0, 2, 3).reshape(C, 1, -1)
        dcol = (self.mask * dout).reshape(C * self.pool_h * self.pool_w, -1).T
        dx_pad = col2im(dcol, (N, C, H + 2 * p, W + 2 * p), self.pool_h, self.pool_w, self.stride, 0)
        return dx_pad[:, :, p:p + H, p:p + W]


class MaxPoolByColumnsReshapeNoTranspose(MaxPoolByColumns):
    # (C, N*out_h*out_w) reshaped straight to (N, C, out_h, out_w).
    def forward(self, x):
        N, C = x.shape[:2]
        out = super().forward(x)
        return out.transpose(1, 0, 2, 3).reshape(N, C, *out.shape[2:])


class MaxPoolByColumnsDoutNotRearranged(MaxPoolByColumns):
    # dout reshaped to (C, 1, -1) in its own (n, c, i, j) order.
    def backward(self, dout):
        N, C, H, W = self.x.shape
        p = self.pad
        dcol = (self.mask * dout.reshape(C, 1, -1)).reshape(C * self.pool_h * self.pool_w, -1).T
        dx_pad = col2im(dcol, (N, C, H + 2 * p, W + 2 * p), self.pool_h, self.pool_w, self.stride, 0)
        return dx_pad[:, :, p:p + H, p:p + W]


class AvgPoolByColumns(AvgPool):
    """The solution's layer: the mean over axis=1 of col.T.reshape(C, pool_h*pool_w, -1)."""

    def forward(self, x):
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1
        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        windows = col.T.reshape(C, self.pool_h * self.pool_w, -1)
        self.x = x
        return np.mean(windows, axis=1).reshape(C, N, out_h, out_w).transpose(1, 0, 2, 3)

    def backward(self, dout):
        C = self.x.shape[1]
        size = self.pool_h * self.pool_w
        dout = dout.transpose(1, 0, 2, 3).reshape(C, 1, -1)
        dcol = np.repeat(dout / size, size, axis=1).reshape(C * size, -1).T
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)


class AvgPoolByColumnsDoutNotRearranged(AvgPoolByColumns):
    def backward(self, dout):
        C = self.x.shape[1]
        size = self.pool_h * self.pool_w
        dcol = np.repeat(dout.reshape(C, 1, -1) / size, size, axis=1).reshape(C * size, -1).T
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)


# The bugs and the hints they must get ----------------------------------------------------

NOT_IMPLEMENTED = "is not implemented yet"
CHANNELS_FIRST = "transpose(0, 3, 1, 2)"
IN_PLACE = "changed its input"
DOUT_ORDER = "dout.transpose(0, 2, 3, 1)"
DOUT_FILTER_ORDER = "dout.transpose(1, 0, 2, 3)"
BATCH_FIRST = "transpose(1, 0, 2, 3)"

BUGS = [
    # im2col
    pytest.param("im2col", im2col_columns_yxc, "columns go (c, y, x)", id="im2col-columns-(y,x,c)"),
    pytest.param("im2col", im2col_rows_nji, "they go (n, i, j)", id="im2col-rows-(n,j,i)"),
    pytest.param("im2col", im2col_ignores_stride, "move each window by the stride",
                 id="im2col-ignores-stride"),
    pytest.param("im2col", im2col_ignores_padding, "pad the height and width first",
                 id="im2col-ignores-padding"),
    pytest.param("im2col", im2col_sliding_window_ignores_padding, "pad the height and width first",
                 id="im2col-sliding-window-ignores-padding"),
    pytest.param("im2col", im2col_stub, "im2col " + NOT_IMPLEMENTED, id="im2col-stub"),
    pytest.param("im2col", im2col_returns_none, "im2col " + NOT_IMPLEMENTED, id="im2col-returns-None"),
    pytest.param("im2col", im2col_by_columns_no_T, "becomes the matrix with .T", id="im2col-by-columns-no-.T"),
    pytest.param("im2col", im2col_by_columns_yxc, "columns go (c, y, x)", id="im2col-by-columns-(y,x,c)"),
    pytest.param("im2col", im2col_by_columns_rows_nji, "they go (n, i, j)", id="im2col-by-columns-rows-(n,j,i)"),
    pytest.param("im2col", im2col_by_columns_ignores_stride, "move each window by the stride",
                 id="im2col-by-columns-ignores-stride"),
    pytest.param("im2col", im2col_reshape_without_transpose, "(C, filter_h, filter_w, N, out_h, out_w)",
                 id="im2col-windows-reshaped-without-transpose"),
    # col2im
    pytest.param("col2im", col2im_assigns, "add with +=", id="col2im-assigns-not-adds"),
    pytest.param("col2im", col2im_keeps_padding, "cut the padding off", id="col2im-keeps-padding"),
    pytest.param("col2im", col2im_ignores_stride, "move each window's values back by the stride",
                 id="col2im-ignores-stride"),
    pytest.param("col2im", col2im_stub, "col2im " + NOT_IMPLEMENTED, id="col2im-stub"),
    pytest.param("col2im", col2im_returns_none, "col2im " + NOT_IMPLEMENTED, id="col2im-returns-None"),
    pytest.param("col2im", col2im_by_columns_assigns, "add with +=", id="col2im-by-columns-assigns-not-adds"),
    pytest.param("col2im", col2im_by_columns_batch_second, "transpose(1, 0, 2, 3) at the end",
                 id="col2im-by-columns-batch-second"),
    pytest.param("col2im", col2im_by_columns_without_T, "split col.T, not col", id="col2im-by-columns-without-.T"),
    pytest.param("col2im", col2im_by_columns_slices_without_stride, "y_end = y + stride*out_h",
                 id="col2im-by-columns-slice-end-without-stride"),
    pytest.param("col2im", col2im_by_columns_batch_first_image, "an image kept as (C, N, H + 2*pad, W + 2*pad)",
                 id="col2im-by-columns-image-batch-first"),
    pytest.param("col2im", col2im_by_columns_crops_with_minus_pad, "[pad:-pad] is [0:0]",
                 id="col2im-by-columns-crop-[pad:-pad]"),
    pytest.param("col2im", col2im_by_columns_out_h_without_pad, "out_h = (H + 2*pad - filter_h)//stride + 1 = 3",
                 id="col2im-by-columns-out_h-without-pad"),
    # Convolution
    pytest.param("Convolution", ConvolutionChannelsLast, CHANNELS_FIRST, id="Convolution-channels-last"),
    pytest.param("Convolution", ConvolutionReshapeNoTranspose, CHANNELS_FIRST,
                 id="Convolution-reshape-without-transpose"),
    pytest.param("Convolution", ConvolutionModifiesX, IN_PLACE, id="Convolution-forward-modifies-x"),
    pytest.param("Convolution", ConvolutionDbWrongAxis, "one number per filter", id="Convolution-db-axis-1"),
    pytest.param("Convolution", ConvolutionDbOverAllAxes, "one number per filter",
                 id="Convolution-db-sum-of-everything"),
    pytest.param("Convolution", ConvolutionDwNoTranspose, "check the transpose",
                 id="Convolution-dW-without-transpose"),
    pytest.param("Convolution", ConvolutionDwColumnsAsYXC, "check the transpose",
                 id="Convolution-dW-reshaped-as-(y,x,c)"),
    pytest.param("Convolution", ConvolutionDwNotReshaped, "reshape(FN, C, FH, FW)",
                 id="Convolution-dW-not-reshaped"),
    pytest.param("Convolution", ConvolutionDoutNotRearranged, DOUT_ORDER,
                 id="Convolution-dout-not-rearranged"),
    pytest.param("Convolution", ConvolutionDoutNotRearrangedDbRight, DOUT_ORDER,
                 id="Convolution-dout-not-rearranged-db-right"),
    pytest.param("Convolution", ConvolutionLocalDw, "backward did not set self.dW",
                 id="Convolution-dW-not-stored"),
    pytest.param("Convolution", ConvolutionUpdatesW, "W and b stay as they are",
                 id="Convolution-backward-updates-W"),
    pytest.param("Convolution", ConvolutionInitStub, "Convolution " + NOT_IMPLEMENTED, id="Convolution-__init__-stub"),
    pytest.param("Convolution", ConvolutionForwardStub, "Convolution.forward " + NOT_IMPLEMENTED,
                 id="Convolution-forward-stub"),
    pytest.param("Convolution", ConvolutionBackwardStub, "Convolution.backward " + NOT_IMPLEMENTED,
                 id="Convolution-backward-stub"),
    pytest.param("Convolution", ConvolutionForwardReturnsNone, "Convolution.forward " + NOT_IMPLEMENTED,
                 id="Convolution-forward-returns-None"),
    pytest.param("Convolution", ConvolutionBackwardReturnsNone, "Convolution.backward " + NOT_IMPLEMENTED,
                 id="Convolution-backward-returns-None"),
    pytest.param("Convolution", ConvolutionFilterRowsBatchSecond, BATCH_FIRST,
                 id="Convolution-filter-rows-batch-second"),
    pytest.param("Convolution", ConvolutionFilterRowsReshapeNoTranspose, BATCH_FIRST,
                 id="Convolution-filter-rows-reshape-without-transpose"),
    pytest.param("Convolution", ConvolutionFilterRowsBiasAsRow, "b[:, None]", id="Convolution-filter-rows-bias-as-row"),
    pytest.param("Convolution", ConvolutionFilterRowsDoutNotRearranged, DOUT_FILTER_ORDER,
                 id="Convolution-filter-rows-dout-not-rearranged"),
    pytest.param("Convolution", ConvolutionFilterRowsDbWrongAxis, "one number per filter",
                 id="Convolution-filter-rows-db-axis-0"),
    pytest.param("Convolution", ConvolutionFilterRowsDwTransposed, "check the transpose",
                 id="Convolution-filter-rows-dW-transposed"),
    pytest.param("Convolution", ConvolutionFilterRowsDcolNotTransposed, "dcol",
                 id="Convolution-filter-rows-dcol-not-transposed"),
    pytest.param("Convolution", ConvolutionFilterRowsIm2colWithoutStride, "pass the layer's stride and pad to im2col",
                 id="Convolution-filter-rows-im2col-without-stride-and-pad"),
    pytest.param("Convolution", ConvolutionFilterRowsColNotTransposed, "out = W.reshape(FN, -1) @ col.T",
                 id="Convolution-filter-rows-col-not-transposed"),
    pytest.param("Convolution", ConvolutionFilterRowsCol2imWithoutStride, "the layer's stride and pad",
                 id="Convolution-filter-rows-col2im-without-stride-and-pad"),
    # MaxPool
    pytest.param("MaxPool", MaxPoolNoReshape, "col.reshape(-1, pool_h * pool_w) before the max",
                 id="MaxPool-max-of-whole-row"),
    pytest.param("MaxPool", MaxPoolAcrossChannels, "every channel got the same value",
                 id="MaxPool-max-across-channels"),
    pytest.param("MaxPool", MaxPoolOverChannelAxis, "col.reshape(-1, pool_h * pool_w) before the max",
                 id="MaxPool-max-over-channel-axis"),
    pytest.param("MaxPool", MaxPoolZeroPadding, "pad x with -np.inf", id="MaxPool-zero-padding"),
    pytest.param("MaxPool", MaxPoolChannelsFirstReshape, "transpose(0, 3, 1, 2)",
                 id="MaxPool-reshape-without-transpose"),
    pytest.param("MaxPool", MaxPoolDoutNotRearranged, DOUT_ORDER, id="MaxPool-dout-not-rearranged"),
    pytest.param("MaxPool", MaxPoolDoutToWholeWindow, "goes to its window's maximum only",
                 id="MaxPool-dout-to-whole-window"),
    pytest.param("MaxPool", MaxPoolArgmaxAsColumn, "goes to its window's maximum only",
                 id="MaxPool-dmax[:, arg_max]"),
    pytest.param("MaxPool", MaxPoolCropsWithMinusPad, "[pad:-pad] is [0:0]", id="MaxPool-dx-crop-[p:-p]"),
    pytest.param("MaxPool", MaxPoolKeepsPadding, "cut the padding off", id="MaxPool-dx-keeps-padding"),
    pytest.param("MaxPool", MaxPoolForwardStub, "MaxPool.forward " + NOT_IMPLEMENTED, id="MaxPool-forward-stub"),
    pytest.param("MaxPool", MaxPoolBackwardStub, "MaxPool.backward " + NOT_IMPLEMENTED,
                 id="MaxPool-backward-stub"),
    pytest.param("MaxPool", MaxPoolBackwardReturnsNone, "MaxPool.backward " + NOT_IMPLEMENTED,
                 id="MaxPool-backward-returns-None"),
    pytest.param("MaxPool", MaxPoolByColumnsReshapeNoTranspose, BATCH_FIRST,
                 id="MaxPool-by-columns-reshape-without-transpose"),
    pytest.param("MaxPool", MaxPoolByColumnsDoutNotRearranged, DOUT_FILTER_ORDER,
                 id="MaxPool-by-columns-dout-not-rearranged"),
    # AvgPool
    pytest.param("AvgPool", AvgPoolBackwardUndivided, "dout / (pool_h * pool_w)",
                 id="AvgPool-backward-not-divided"),
    pytest.param("AvgPool", AvgPoolDividesByPoolH, "divide by the full window area pool_h * pool_w",
                 id="AvgPool-divides-by-pool_h"),
    pytest.param("AvgPool", AvgPoolSkipsPadding, "the zero padding counts in the average",
                 id="AvgPool-padding-not-counted"),
    pytest.param("AvgPool", AvgPoolDoutNotRearranged, DOUT_ORDER, id="AvgPool-dout-not-rearranged"),
    pytest.param("AvgPool", AvgPoolForwardStub, "AvgPool.forward " + NOT_IMPLEMENTED, id="AvgPool-forward-stub"),
    pytest.param("AvgPool", AvgPoolBackwardStub, "AvgPool.backward " + NOT_IMPLEMENTED,
                 id="AvgPool-backward-stub"),
    pytest.param("AvgPool", AvgPoolForwardReturnsNone, "AvgPool.forward " + NOT_IMPLEMENTED,
                 id="AvgPool-forward-returns-None"),
    pytest.param("AvgPool", AvgPoolByColumnsDoutNotRearranged, DOUT_FILTER_ORDER,
                 id="AvgPool-by-columns-dout-not-rearranged"),
]


@pytest.mark.parametrize("name, buggy, hint", BUGS)
def test_bug_gets_its_hint(name, buggy, hint):
    with pytest.raises(AssertionError) as failure:
        run_public_test(name, buggy)
    assert hint in str(failure.value), f"{name}: the message does not point at the bug: {failure.value}"


CORRECT = [
    pytest.param("im2col", im2col, id="im2col-loop"),
    pytest.param("im2col", im2col_sliding_window, id="im2col-sliding_window_view"),
    pytest.param("im2col", im2col_float_buffer, id="im2col-float-buffer"),
    pytest.param("im2col", im2col_by_columns, id="im2col-by-columns"),
    pytest.param("col2im", col2im, id="col2im-loop"),
    pytest.param("col2im", col2im_add_at, id="col2im-np.add.at"),
    pytest.param("col2im", col2im_by_columns, id="col2im-by-columns"),
    pytest.param("Convolution", Convolution, id="Convolution-@"),
    pytest.param("Convolution", ConvolutionDot, id="Convolution-np.dot"),
    pytest.param("Convolution", ConvolutionFilterRows, id="Convolution-filter-rows"),
    pytest.param("Convolution", ConvolutionTensordot, id="Convolution-sliding-window-tensordot"),
    pytest.param("MaxPool", MaxPool, id="MaxPool-argmax"),
    pytest.param("MaxPool", MaxPoolMask, id="MaxPool-mask"),
    pytest.param("MaxPool", MaxPoolFloatInput, id="MaxPool-float-input"),
    pytest.param("MaxPool", MaxPoolByColumns, id="MaxPool-by-columns-mask"),
    pytest.param("AvgPool", AvgPool, id="AvgPool-np.mean"),
    pytest.param("AvgPool", AvgPoolAverage, id="AvgPool-np.average-ones"),
    pytest.param("AvgPool", AvgPoolSlidingMean, id="AvgPool-sliding-window-mean"),
    pytest.param("AvgPool", AvgPoolByColumns, id="AvgPool-by-columns"),
]


@pytest.mark.parametrize("name, correct", CORRECT)
def test_correct_variant_passes(name, correct, capsys):
    run_public_test(name, correct)
    assert f"{name} passes all public tests" in capsys.readouterr().out


def test_mask_max_pool_matches_at_no_tie():
    # The mask version passes only because no window of the public MaxPool data has a
    # tie (the -inf padding never ties with a value); make that an explicit assumption.
    from cnnbook.suites import assignment2 as a2

    for case, (x, ph, pw, stride, pad, _) in a2.pool_cases().items():
        x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
        windows = sliding_window_view(x_pad, (ph, pw), axis=(2, 3))[:, :, ::stride, ::stride]
        tops = (windows == windows.max(axis=(4, 5), keepdims=True)).sum(axis=(4, 5))
        assert np.all(tops == 1), case


INT_X = np.arange(2 * 3 * 5 * 4).reshape(2, 3, 5, 4) % 7 - 3


@pytest.mark.parametrize("fn", [im2col, im2col_sliding_window, im2col_float_buffer, im2col_by_columns])
def test_im2col_variants_agree_on_int_and_float_input(fn):
    for fh, fw, stride, pad in [(2, 2, 1, 0), (3, 2, 2, 1)]:
        assert np.array_equal(fn(INT_X, fh, fw, stride, pad), fn(INT_X.astype(float), fh, fw, stride, pad))


@pytest.mark.parametrize("fn", [col2im, col2im_add_at, col2im_by_columns])
def test_col2im_variants_agree_on_int_and_float_input(fn):
    shape, fh, fw, stride, pad = (2, 3, 5, 4), 3, 2, 2, 1
    col = np.arange(18 * 18).reshape(18, 18) % 5 - 2  # 2*3*3 windows of 3*3*2 values
    assert np.array_equal(fn(col, shape, fh, fw, stride, pad), fn(col.astype(float), shape, fh, fw, stride, pad))


@pytest.mark.parametrize("cls", [Convolution, ConvolutionDot, ConvolutionTensordot, ConvolutionFilterRows])
def test_convolution_variants_agree_on_int_and_float_input(cls):
    W, b = np.arange(2 * 3 * 3 * 2).reshape(2, 3, 3, 2) % 3 - 1, np.array([1, -2])
    dout = np.arange(2 * 2 * 3 * 3).reshape(2, 2, 3, 3) % 4 - 2
    results = []
    for dtype in (int, float):
        layer = cls(W.astype(dtype), b.astype(dtype), 2, 1)
        out = layer.forward(INT_X.astype(dtype))
        results.append((out, layer.backward(dout.astype(dtype)), layer.dW, layer.db))
    for got_int, got_float in zip(*results):
        assert np.array_equal(got_int, got_float)


@pytest.mark.parametrize("cls", [MaxPoolFloatInput, MaxPoolByColumns, AvgPool, AvgPoolAverage,
                                 AvgPoolSlidingMean, AvgPoolByColumns])
def test_pool_variants_agree_on_int_and_float_input(cls):
    results = []
    for dtype in (int, float):
        layer = cls(2, 3, 2, 1)
        out = layer.forward(INT_X.astype(dtype))
        results.append((out, layer.backward(np.ones_like(out))))
    for got_int, got_float in zip(*results):
        assert np.allclose(got_int, got_float)

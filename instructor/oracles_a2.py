"""Loop references for Assignment 2 (channels-first), the hidden tests' oracle.

Deliberately plain: one window at a time, written independently of the im2col
solutions. Shapes: x (N, C, H, W), W (FN, C, FH, FW), b (FN,).
"""

from __future__ import annotations

import numpy as np


def out_size(n: int, f: int, stride: int, pad: int) -> int:
    return (n + 2 * pad - f) // stride + 1


def _pad(x, pad, value=0.0):
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=value)


def im2col(x, fh, fw, stride=1, pad=0):
    N, C, H, W = x.shape
    oh, ow = out_size(H, fh, stride, pad), out_size(W, fw, stride, pad)
    xp = _pad(x, pad)
    rows = [xp[n, :, i * stride:i * stride + fh, j * stride:j * stride + fw].ravel()
            for n in range(N) for i in range(oh) for j in range(ow)]
    return np.array(rows).reshape(N * oh * ow, C * fh * fw)


def col2im(col, shape, fh, fw, stride=1, pad=0):
    N, C, H, W = shape
    oh, ow = out_size(H, fh, stride, pad), out_size(W, fw, stride, pad)
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    k = 0
    for n in range(N):
        for i in range(oh):
            for j in range(ow):
                xp[n, :, i * stride:i * stride + fh, j * stride:j * stride + fw] += \
                    col[k].reshape(C, fh, fw)
                k += 1
    return xp[:, :, pad:pad + H, pad:pad + W]


def conv_forward(x, W, b, stride=1, pad=0):
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    oh, ow = out_size(H, FH, stride, pad), out_size(Wd, FW, stride, pad)
    xp = _pad(x, pad)
    out = np.zeros((N, FN, oh, ow))
    for n in range(N):
        for f in range(FN):
            for i in range(oh):
                for j in range(ow):
                    win = xp[n, :, i * stride:i * stride + FH, j * stride:j * stride + FW]
                    out[n, f, i, j] = np.sum(win * W[f]) + b[f]
    return out


def conv_backward(dout, x, W, stride=1, pad=0):
    """(dx, dW, db) of conv_forward."""
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    xp = _pad(x, pad)
    dxp, dW, db = np.zeros_like(xp), np.zeros_like(W, dtype=float), np.zeros(FN)
    for n in range(N):
        for f in range(FN):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    rows = slice(i * stride, i * stride + FH)
                    cols = slice(j * stride, j * stride + FW)
                    dxp[n, :, rows, cols] += W[f] * dout[n, f, i, j]
                    dW[f] += xp[n, :, rows, cols] * dout[n, f, i, j]
                    db[f] += dout[n, f, i, j]
    return dxp[:, :, pad:pad + H, pad:pad + Wd], dW, db


def pool_forward(x, ph, pw, stride=1, pad=0, mode="max"):
    """Max pooling pads with -inf, average pooling with 0 and divides by ph * pw."""
    N, C, H, W = x.shape
    oh, ow = out_size(H, ph, stride, pad), out_size(W, pw, stride, pad)
    xp = _pad(x, pad, -np.inf if mode == "max" else 0.0)
    out = np.zeros((N, C, oh, ow))
    for n in range(N):
        for c in range(C):
            for i in range(oh):
                for j in range(ow):
                    win = xp[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw]
                    out[n, c, i, j] = win.max() if mode == "max" else win.sum() / (ph * pw)
    return out


def pool_backward(dout, x, ph, pw, stride=1, pad=0, mode="max"):
    """dx of pool_forward; max sends each gradient to the first maximum of its window."""
    N, C, H, W = x.shape
    xp = _pad(x, pad, -np.inf if mode == "max" else 0.0)
    dxp = np.zeros(xp.shape)
    for n in range(N):
        for c in range(C):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    rows = slice(i * stride, i * stride + ph)
                    cols = slice(j * stride, j * stride + pw)
                    if mode == "max":
                        win = xp[n, c, rows, cols]
                        r, s = np.unravel_index(np.argmax(win), win.shape)
                        dxp[n, c, rows.start + r, cols.start + s] += dout[n, c, i, j]
                    else:
                        dxp[n, c, rows, cols] += dout[n, c, i, j] / (ph * pw)
    return dxp[:, :, pad:pad + H, pad:pad + W]


GRADED = ["im2col", "col2im", "Convolution", "MaxPool", "AvgPool"]

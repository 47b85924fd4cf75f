"""Reference implementations of Assignment 1's graded functions.

Written independently of the solution notebooks (vectorized, where the
solutions loop), so that the hidden tests also cross-check the solutions.
Shapes are channels-last: A (m, n_H, n_W, n_C), W (f, f, n_C_prev, n_C).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def zero_pad(X, pad):
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))


def conv_single_step(a_slice_prev, W, b):
    return float(np.sum(a_slice_prev * W) + np.asarray(b).item())


def _windows(A, f, stride):
    """(m, n_H, n_W, n_C, f, f) view of every f x f window, moved by stride."""
    return sliding_window_view(A, (f, f), axis=(1, 2))[:, ::stride, ::stride]


def conv_forward(A_prev, W, b, hparameters):
    f, stride, pad = W.shape[0], hparameters["stride"], hparameters["pad"]
    win = _windows(zero_pad(A_prev, pad), f, stride)
    Z = np.einsum("mhwcpq,pqcd->mhwd", win, W, optimize=True) + b.reshape(1, 1, 1, -1)
    return Z, (A_prev, W, b, hparameters)


def pool_forward(A_prev, hparameters, mode="max"):
    win = _windows(A_prev, hparameters["f"], hparameters["stride"])
    A = win.max(axis=(4, 5)) if mode == "max" else win.mean(axis=(4, 5))
    return A, (A_prev, hparameters)


def conv_backward(dZ, cache):
    A_prev, W, b, hparameters = cache
    f, stride, pad = W.shape[0], hparameters["stride"], hparameters["pad"]
    m, n_H, n_W, _ = dZ.shape
    A_pad = zero_pad(A_prev, pad)
    dA_pad = np.zeros_like(A_pad, dtype=float)
    dW = np.zeros_like(W, dtype=float)
    # One kernel offset (p, q) at a time: the inputs it touches form a strided slice.
    for p in range(f):
        for q in range(f):
            rows = slice(p, p + stride * (n_H - 1) + 1, stride)
            cols = slice(q, q + stride * (n_W - 1) + 1, stride)
            dW[p, q] = np.einsum("mhwc,mhwd->cd", A_pad[:, rows, cols, :], dZ)
            dA_pad[:, rows, cols, :] += np.einsum("mhwd,cd->mhwc", dZ, W[p, q])
    db = dZ.sum(axis=(0, 1, 2)).reshape(1, 1, 1, -1)
    H, Wd = A_prev.shape[1:3]
    return dA_pad[:, pad:pad + H, pad:pad + Wd, :], dW, db


def create_mask_from_window(x):
    return x == np.max(x)


def distribute_value(dz, shape):
    n_H, n_W = shape
    return np.full(shape, dz / (n_H * n_W), dtype=float)


def pool_backward(dA, cache, mode="max"):
    A_prev, hparameters = cache
    f, stride = hparameters["f"], hparameters["stride"]
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros_like(A_prev, dtype=float)
    if mode == "max":
        top = _windows(A_prev, f, stride).max(axis=(4, 5))
    for p in range(f):
        for q in range(f):
            rows = slice(p, p + stride * (n_H - 1) + 1, stride)
            cols = slice(q, q + stride * (n_W - 1) + 1, stride)
            if mode == "max":
                dA_prev[:, rows, cols, :] += (A_prev[:, rows, cols, :] == top) * dA
            else:
                dA_prev[:, rows, cols, :] += dA / (f * f)
    return dA_prev


GRADED = ["zero_pad", "conv_single_step", "conv_forward", "pool_forward", "conv_backward",
          "create_mask_from_window", "distribute_value", "pool_backward"]

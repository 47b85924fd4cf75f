"""The public tests of Assignment 1 against the mistakes learners make.

Each buggy function below is what a learner might write: a copy of the solution's
loop with one mistake. Its public test must fail with a hint that points at that
mistake, not only fail. Correct functions written another way than the solutions
(vectorized, np.average, a 0/1 mask, argmax at a tie) must pass.

With the instructor package installed, ``check`` swaps reference helpers in for the
ones a function calls (conv_forward's zero_pad and conv_single_step, pool_backward's
create_mask_from_window and distribute_value), so a buggy helper is tested through
its own check, and a bug that pool_backward makes inline does not call a helper.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import public_tests


def run_public_test(name, fn):
    getattr(public_tests, f"{name}_test")(fn)


# Correct helpers, under the names the notebook gives them -------------------

def zero_pad(X, pad):
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0)


def conv_single_step(a_slice_prev, W, b):
    s = a_slice_prev * W
    Z = np.sum(s) + b.item()
    return Z


def create_mask_from_window(x):
    return x == np.max(x)


def distribute_value(dz, shape):
    (n_H, n_W) = shape
    average = dz / (n_H * n_W)
    return np.ones(shape) * average


# zero_pad ---------------------------------------------------------------------

def zero_pad_writes_into_X(X, pad):
    X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    X *= 0  # "cleaning up" the input
    return X_pad


def zero_pad_stub(X, pad):
    raise NotImplementedError()


def zero_pad_returns_none(X, pad):
    X_pad = None
    return X_pad


# conv_single_step -------------------------------------------------------------

def conv_single_step_bias_in_sum(a_slice_prev, W, b):
    Z = np.sum(a_slice_prev * W + b)
    return Z


def conv_single_step_float_b(a_slice_prev, W, b):
    s = a_slice_prev * W
    Z = np.sum(s) + float(b)
    return Z


def conv_single_step_stub(a_slice_prev, W, b):
    raise NotImplementedError()


def conv_single_step_returns_none(a_slice_prev, W, b):
    Z = None
    return Z


def conv_single_step_np_float64(a_slice_prev, W, b):
    return np.sum(a_slice_prev * W) + b[0, 0, 0]


def conv_single_step_python_float(a_slice_prev, W, b):
    return float(np.sum(a_slice_prev * W) + b.item())


# conv_forward -----------------------------------------------------------------

def conv_forward_bias_in_sum(A_prev, W, b, hparameters):
    # conv_single_step written inline, with the bias inside the sum.
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = (n_H_prev + 2 * pad - f) // stride + 1
    n_W = (n_W_prev + 2 * pad - f) // stride + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    Z[i, h, w, c] = np.sum(a_slice_prev * W[:, :, :, c] + b[:, :, :, c])
    return Z, (A_prev, W, b, hparameters)


def conv_forward_ignores_stride(A_prev, W, b, hparameters):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = (n_H_prev + 2 * pad - f) // stride + 1
    n_W = (n_W_prev + 2 * pad - f) // stride + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        for h in range(n_H):
            vert_start = h
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w
                horiz_end = horiz_start + f
                a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])
    return Z, (A_prev, W, b, hparameters)


def conv_forward_size_without_2pad(A_prev, W, b, hparameters):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = (n_H_prev - f) // stride + 1
    n_W = (n_W_prev - f) // stride + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])
    return Z, (A_prev, W, b, hparameters)


def conv_forward_size_true_division(A_prev, W, b, hparameters):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = (n_H_prev + 2 * pad - f) / stride + 1
    n_W = (n_W_prev + 2 * pad - f) / stride + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])
    return Z, (A_prev, W, b, hparameters)


def conv_forward_slices_unpadded(A_prev, W, b, hparameters):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = (n_H_prev + 2 * pad - f) // stride + 1
    n_W = (n_W_prev + 2 * pad - f) // stride + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)  # noqa: F841 (computed, then not used)
    for i in range(m):
        a_prev_pad = A_prev[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])
    return Z, (A_prev, W, b, hparameters)


def conv_forward_fixed_example(A_prev, W, b, hparameters):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = (n_H_prev + 2 * pad - f) // stride + 1
    n_W = (n_W_prev + 2 * pad - f) // stride + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[0]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])
    return Z, (A_prev, W, b, hparameters)


def conv_forward_writes_into_A_prev(A_prev, W, b, hparameters):
    # Skips the padding when pad is 0, then multiplies the window in place.
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = (n_H_prev + 2 * pad - f) // stride + 1
    n_W = (n_W_prev + 2 * pad - f) // stride + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad) if pad > 0 else A_prev
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    a_slice_prev *= W[:, :, :, c]
                    Z[i, h, w, c] = np.sum(a_slice_prev) + b[0, 0, 0, c]
    return Z, (A_prev, W, b, hparameters)


def conv_forward_stub(A_prev, W, b, hparameters):
    raise NotImplementedError()


def conv_forward_returns_none(A_prev, W, b, hparameters):
    return None


def conv_forward_vectorized(A_prev, W, b, hparameters):
    f = W.shape[0]
    stride, pad = hparameters["stride"], hparameters["pad"]
    A_prev_pad = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    windows = sliding_window_view(A_prev_pad, (f, f), axis=(1, 2))[:, ::stride, ::stride]
    Z = np.einsum("mhwcpq,pqcd->mhwd", windows, W) + b.reshape(1, 1, 1, -1)
    return Z, (A_prev, W, b, hparameters)


# pool_forward -----------------------------------------------------------------

def pool_forward_ignores_stride(A_prev, hparameters, mode="max"):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    f = hparameters["f"]
    stride = hparameters["stride"]
    n_H = (n_H_prev - f) // stride + 1
    n_W = (n_W_prev - f) // stride + 1
    n_C = n_C_prev
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start = h
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_prev_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    else:
                        A[i, h, w, c] = np.mean(a_prev_slice)
    return A, (A_prev, hparameters)


def pool_forward_size_without_stride(A_prev, hparameters, mode="max"):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    f = hparameters["f"]
    stride = hparameters["stride"]
    n_H = n_H_prev - f + 1
    n_W = n_W_prev - f + 1
    n_C = n_C_prev
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_prev_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]
                    if a_prev_slice.size == 0:
                        continue
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    else:
                        A[i, h, w, c] = np.mean(a_prev_slice)
    return A, (A_prev, hparameters)


def pool_forward_size_true_division(A_prev, hparameters, mode="max"):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    f = hparameters["f"]
    stride = hparameters["stride"]
    n_H = (n_H_prev - f) / stride + 1
    n_W = (n_W_prev - f) / stride + 1
    n_C = n_C_prev
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_prev_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    else:
                        A[i, h, w, c] = np.mean(a_prev_slice)
    return A, (A_prev, hparameters)


def pool_forward_fixed_example(A_prev, hparameters, mode="max"):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    f = hparameters["f"]
    stride = hparameters["stride"]
    n_H = (n_H_prev - f) // stride + 1
    n_W = (n_W_prev - f) // stride + 1
    n_C = n_C_prev
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_prev_slice = A_prev[0, vert_start:vert_end, horiz_start:horiz_end, c]
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    else:
                        A[i, h, w, c] = np.mean(a_prev_slice)
    return A, (A_prev, hparameters)


def pool_forward_across_channels(A_prev, hparameters, mode="max"):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    f = hparameters["f"]
    stride = hparameters["stride"]
    n_H = (n_H_prev - f) // stride + 1
    n_W = (n_W_prev - f) // stride + 1
    n_C = n_C_prev
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_prev_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, :]
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    else:
                        A[i, h, w, c] = np.mean(a_prev_slice)
    return A, (A_prev, hparameters)


def pool_forward_average_over_f(A_prev, hparameters, mode="max"):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    f = hparameters["f"]
    stride = hparameters["stride"]
    n_H = (n_H_prev - f) // stride + 1
    n_W = (n_W_prev - f) // stride + 1
    n_C = n_C_prev
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_prev_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    else:
                        A[i, h, w, c] = np.sum(a_prev_slice) / f
    return A, (A_prev, hparameters)


def pool_forward_stub(A_prev, hparameters, mode="max"):
    raise NotImplementedError()


def pool_forward_returns_none(A_prev, hparameters, mode="max"):
    return None


def pool_forward_np_average(A_prev, hparameters, mode="max"):
    (m, n_H_prev, n_W_prev, n_C) = A_prev.shape
    f, stride = hparameters["f"], hparameters["stride"]
    n_H = (n_H_prev - f) // stride + 1
    n_W = (n_W_prev - f) // stride + 1
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    window = A_prev[i, h * stride:h * stride + f, w * stride:w * stride + f, c]
                    A[i, h, w, c] = np.max(window) if mode == "max" else np.average(window)
    return A, (A_prev, hparameters)


def pool_forward_vectorized(A_prev, hparameters, mode="max"):
    f, stride = hparameters["f"], hparameters["stride"]
    windows = sliding_window_view(A_prev, (f, f), axis=(1, 2))[:, ::stride, ::stride]
    pool = np.max if mode == "max" else np.mean
    return pool(windows, axis=(4, 5)), (A_prev, hparameters)


# conv_backward ----------------------------------------------------------------

def conv_backward_ignores_stride(dZ, cache):
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]  # noqa: F841 (read, then forgotten)
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros(A_prev.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            vert_start = h
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w
                horiz_end = horiz_start + f
                a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        dA_prev[i, :, :, :] = da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]
    return dA_prev, dW, db


def conv_backward_unpad_minus_pad(dZ, cache):
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros(A_prev.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        dA_prev[i, :, :, :] = da_prev_pad[pad:-pad, pad:-pad, :]
    return dA_prev, dW, db


def conv_backward_unpad_minus_pad_at_end(dZ, cache):
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = np.zeros(A_prev_pad.shape)
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice = A_prev_pad[i, vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    dA_prev_pad[i, vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
    dA_prev = dA_prev_pad[:, pad:-pad, pad:-pad, :]
    return dA_prev, dW, db


def conv_backward_fixed_da_prev_pad(dZ, cache):
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros(A_prev.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[0]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        dA_prev[i, :, :, :] = da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]
    return dA_prev, dW, db


def conv_backward_unpads_into_example_0(dZ, cache):
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros(A_prev.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        dA_prev[0, :, :, :] = da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]
    return dA_prev, dW, db


def conv_backward_assigns_dA_prev(dZ, cache):
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros(A_prev.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] = W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        dA_prev[i, :, :, :] = da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]
    return dA_prev, dW, db


def conv_backward_assigns_dW(dZ, cache):
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros(A_prev.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] = a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        dA_prev[i, :, :, :] = da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]
    return dA_prev, dW, db


def conv_backward_assigns_db(dZ, cache):
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros(A_prev.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] = dZ[i, h, w, c]
        dA_prev[i, :, :, :] = da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]
    return dA_prev, dW, db


def conv_backward_stub(dZ, cache):
    raise NotImplementedError()


def conv_backward_returns_none(dZ, cache):
    return None


# create_mask_from_window and distribute_value ---------------------------------

def create_mask_stub(x):
    raise NotImplementedError()


def create_mask_returns_none(x):
    mask = None
    return mask


def create_mask_int(x):
    return (x == np.max(x)).astype(int)


def create_mask_argmax(x):
    mask = np.zeros(x.shape, dtype=bool)
    mask[np.unravel_index(np.argmax(x), x.shape)] = True
    return mask


def distribute_value_dz_everywhere(dz, shape):
    return np.ones(shape) * dz


def distribute_value_over_n_H(dz, shape):
    (n_H, n_W) = shape
    return np.ones(shape) * dz / n_H


def distribute_value_stub(dz, shape):
    raise NotImplementedError()


def distribute_value_returns_none(dz, shape):
    return None


# pool_backward ----------------------------------------------------------------

def pool_backward_ignores_stride(dA, cache, mode="max"):
    (A_prev, hparameters) = cache
    stride = hparameters["stride"]  # noqa: F841 (read, then forgotten)
    f = hparameters["f"]
    (m, n_H, n_W, n_C) = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        a_prev = A_prev[i]
        for h in range(n_H):
            vert_start = h
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w
                horiz_end = horiz_start + f
                for c in range(n_C):
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(a_prev_slice)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += mask * dA[i, h, w, c]
                    else:
                        da = dA[i, h, w, c]
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += distribute_value(da, (f, f))
    return dA_prev


def pool_backward_assigns_max(dA, cache, mode="max"):
    (A_prev, hparameters) = cache
    stride = hparameters["stride"]
    f = hparameters["f"]
    (m, n_H, n_W, n_C) = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        a_prev = A_prev[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(a_prev_slice)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] = mask * dA[i, h, w, c]
                    else:
                        da = dA[i, h, w, c]
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += distribute_value(da, (f, f))
    return dA_prev


def pool_backward_assigns_average(dA, cache, mode="max"):
    (A_prev, hparameters) = cache
    stride = hparameters["stride"]
    f = hparameters["f"]
    (m, n_H, n_W, n_C) = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        a_prev = A_prev[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(a_prev_slice)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += mask * dA[i, h, w, c]
                    else:
                        da = dA[i, h, w, c]
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] = distribute_value(da, (f, f))
    return dA_prev


def pool_backward_average_over_f(dA, cache, mode="max"):
    # distribute_value written inline, dividing by f instead of f * f.
    (A_prev, hparameters) = cache
    stride = hparameters["stride"]
    f = hparameters["f"]
    (m, n_H, n_W, n_C) = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        a_prev = A_prev[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(a_prev_slice)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += mask * dA[i, h, w, c]
                    else:
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += np.ones((f, f)) * dA[i, h, w, c] / f
    return dA_prev


def pool_backward_divides_dA_in_place(dA, cache, mode="max"):
    (A_prev, hparameters) = cache
    stride = hparameters["stride"]
    f = hparameters["f"]
    (m, n_H, n_W, n_C) = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    if mode == "average":
        dA /= f * f  # share each gradient over the window, once for all
    for i in range(m):
        a_prev = A_prev[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(a_prev_slice)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += mask * dA[i, h, w, c]
                    else:
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += np.ones((f, f)) * dA[i, h, w, c]
    return dA_prev


def pool_backward_fixed_example(dA, cache, mode="max"):
    (A_prev, hparameters) = cache
    stride = hparameters["stride"]
    f = hparameters["f"]
    (m, n_H, n_W, n_C) = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        a_prev = A_prev[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(a_prev_slice)
                        dA_prev[0, vert_start:vert_end, horiz_start:horiz_end, c] += mask * dA[i, h, w, c]
                    else:
                        da = dA[i, h, w, c]
                        dA_prev[0, vert_start:vert_end, horiz_start:horiz_end, c] += distribute_value(da, (f, f))
    return dA_prev


def pool_backward_stub(dA, cache, mode="max"):
    raise NotImplementedError()


def pool_backward_returns_none(dA, cache, mode="max"):
    return None


def pool_backward_argmax(dA, cache, mode="max"):
    # The gradient goes to the first maximum of each window, as frameworks do.
    A_prev, hparameters = cache
    f, stride = hparameters["f"], hparameters["stride"]
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    rows = slice(h * stride, h * stride + f)
                    cols = slice(w * stride, w * stride + f)
                    if mode == "max":
                        window = A_prev[i, rows, cols, c]
                        p, q = np.unravel_index(np.argmax(window), window.shape)
                        dA_prev[i, h * stride + p, w * stride + q, c] += dA[i, h, w, c]
                    else:
                        dA_prev[i, rows, cols, c] += dA[i, h, w, c] / (f * f)
    return dA_prev


# The bugs and the hints they must get -----------------------------------------

NOT_IMPLEMENTED = "is not implemented yet"
STRIDE = "vert_start = h * stride"
BATCH = "index the batch with the loop's i"
IN_PLACE = "changed its input"
ACCUMULATE = "+="

BUGS = [
    # zero_pad
    pytest.param("zero_pad", zero_pad_writes_into_X, IN_PLACE, id="zero_pad-writes-into-X"),
    pytest.param("zero_pad", zero_pad_stub, "zero_pad " + NOT_IMPLEMENTED, id="zero_pad-stub"),
    pytest.param("zero_pad", zero_pad_returns_none, NOT_IMPLEMENTED, id="zero_pad-returns-None"),
    # conv_single_step
    pytest.param("conv_single_step", conv_single_step_bias_in_sum,
                 "b was added to every element before the sum", id="conv_single_step-bias-in-sum"),
    pytest.param("conv_single_step", conv_single_step_float_b, "use b.item()",
                 id="conv_single_step-float(b)"),
    pytest.param("conv_single_step", conv_single_step_stub, "conv_single_step " + NOT_IMPLEMENTED,
                 id="conv_single_step-stub"),
    pytest.param("conv_single_step", conv_single_step_returns_none, NOT_IMPLEMENTED,
                 id="conv_single_step-returns-None"),
    # conv_forward
    pytest.param("conv_forward", conv_forward_bias_in_sum,
                 "b was added to every element of the window", id="conv_forward-bias-in-sum"),
    pytest.param("conv_forward", conv_forward_ignores_stride, STRIDE, id="conv_forward-ignores-stride"),
    pytest.param("conv_forward", conv_forward_size_without_2pad,
                 "n_H = floor((n_H_prev + 2*pad - f) / stride) + 1", id="conv_forward-size-without-2pad"),
    pytest.param("conv_forward", conv_forward_size_true_division, "take the floor with int() or //",
                 id="conv_forward-size-true-division"),
    pytest.param("conv_forward", conv_forward_slices_unpadded, "slice the padded input A_prev_pad",
                 id="conv_forward-slices-A_prev"),
    pytest.param("conv_forward", conv_forward_fixed_example, BATCH, id="conv_forward-example-0"),
    pytest.param("conv_forward", conv_forward_writes_into_A_prev, IN_PLACE,
                 id="conv_forward-writes-into-A_prev"),
    pytest.param("conv_forward", conv_forward_stub, "conv_forward " + NOT_IMPLEMENTED, id="conv_forward-stub"),
    pytest.param("conv_forward", conv_forward_returns_none, NOT_IMPLEMENTED, id="conv_forward-returns-None"),
    # pool_forward
    pytest.param("pool_forward", pool_forward_ignores_stride, STRIDE, id="pool_forward-ignores-stride"),
    pytest.param("pool_forward", pool_forward_size_without_stride,
                 "n_H = floor((n_H_prev - f) / stride) + 1", id="pool_forward-size-without-stride"),
    pytest.param("pool_forward", pool_forward_size_true_division, "take the floor with int() or //",
                 id="pool_forward-size-true-division"),
    pytest.param("pool_forward", pool_forward_fixed_example, BATCH, id="pool_forward-example-0"),
    pytest.param("pool_forward", pool_forward_across_channels, "pool each channel on its own",
                 id="pool_forward-across-channels"),
    pytest.param("pool_forward", pool_forward_average_over_f, "divide the window's sum by its f*f cells",
                 id="pool_forward-average-divides-by-f"),
    pytest.param("pool_forward", pool_forward_stub, "pool_forward " + NOT_IMPLEMENTED, id="pool_forward-stub"),
    pytest.param("pool_forward", pool_forward_returns_none, NOT_IMPLEMENTED, id="pool_forward-returns-None"),
    # conv_backward
    pytest.param("conv_backward", conv_backward_ignores_stride, STRIDE, id="conv_backward-ignores-stride"),
    pytest.param("conv_backward", conv_backward_unpad_minus_pad, "[pad:-pad] is [0:0]",
                 id="conv_backward-unpad-[pad:-pad]"),
    pytest.param("conv_backward", conv_backward_unpad_minus_pad_at_end, "[pad:-pad] is [0:0]",
                 id="conv_backward-unpad-[pad:-pad]-at-end"),
    pytest.param("conv_backward", conv_backward_fixed_da_prev_pad, "da_prev_pad = dA_prev_pad[i]",
                 id="conv_backward-da_prev_pad-of-example-0"),
    pytest.param("conv_backward", conv_backward_unpads_into_example_0, BATCH,
                 id="conv_backward-unpads-into-example-0"),
    pytest.param("conv_backward", conv_backward_assigns_dA_prev, "use da_prev_pad[window] += ..., not =",
                 id="conv_backward-dA_prev-window-assigned"),
    pytest.param("conv_backward", conv_backward_assigns_dW, "from every window: use +=",
                 id="conv_backward-dW-assigned"),
    pytest.param("conv_backward", conv_backward_assigns_db, "accumulate it with +=",
                 id="conv_backward-db-assigned"),
    pytest.param("conv_backward", conv_backward_stub, "conv_backward " + NOT_IMPLEMENTED,
                 id="conv_backward-stub"),
    pytest.param("conv_backward", conv_backward_returns_none, NOT_IMPLEMENTED, id="conv_backward-returns-None"),
    # create_mask_from_window
    pytest.param("create_mask_from_window", create_mask_stub, "create_mask_from_window " + NOT_IMPLEMENTED,
                 id="create_mask-stub"),
    pytest.param("create_mask_from_window", create_mask_returns_none, NOT_IMPLEMENTED,
                 id="create_mask-returns-None"),
    # distribute_value
    pytest.param("distribute_value", distribute_value_dz_everywhere, "every cell got dz itself",
                 id="distribute_value-dz-everywhere"),
    pytest.param("distribute_value", distribute_value_over_n_H, "gets dz / (f_H * f_W)",
                 id="distribute_value-divides-by-n_H"),
    pytest.param("distribute_value", distribute_value_stub, "distribute_value " + NOT_IMPLEMENTED,
                 id="distribute_value-stub"),
    pytest.param("distribute_value", distribute_value_returns_none, NOT_IMPLEMENTED,
                 id="distribute_value-returns-None"),
    # pool_backward
    pytest.param("pool_backward", pool_backward_ignores_stride, STRIDE, id="pool_backward-ignores-stride"),
    pytest.param("pool_backward", pool_backward_assigns_max, "windows overlap here: accumulate with +=",
                 id="pool_backward-max-assigned"),
    pytest.param("pool_backward", pool_backward_assigns_average, "windows overlap here: accumulate with +=",
                 id="pool_backward-average-assigned"),
    pytest.param("pool_backward", pool_backward_average_over_f, "by the window's area f*f",
                 id="pool_backward-average-divides-by-f"),
    pytest.param("pool_backward", pool_backward_divides_dA_in_place, IN_PLACE,
                 id="pool_backward-modifies-dA"),
    pytest.param("pool_backward", pool_backward_fixed_example, BATCH, id="pool_backward-example-0"),
    pytest.param("pool_backward", pool_backward_stub, "pool_backward " + NOT_IMPLEMENTED,
                 id="pool_backward-stub"),
    pytest.param("pool_backward", pool_backward_returns_none, NOT_IMPLEMENTED, id="pool_backward-returns-None"),
]


@pytest.mark.parametrize("name, buggy, hint", BUGS)
def test_bug_gets_its_hint(name, buggy, hint):
    with pytest.raises(AssertionError) as failure:
        run_public_test(name, buggy)
    assert hint in str(failure.value), f"{name}: the message does not point at the bug: {failure.value}"


CORRECT = [
    pytest.param("zero_pad", zero_pad, id="zero_pad-np.pad"),
    pytest.param("conv_single_step", conv_single_step, id="conv_single_step-b.item()"),
    pytest.param("conv_single_step", conv_single_step_np_float64, id="conv_single_step-np.float64"),
    pytest.param("conv_single_step", conv_single_step_python_float, id="conv_single_step-python-float"),
    pytest.param("conv_forward", conv_forward_vectorized, id="conv_forward-sliding-window-einsum"),
    pytest.param("pool_forward", pool_forward_np_average, id="pool_forward-np.average"),
    pytest.param("pool_forward", pool_forward_vectorized, id="pool_forward-sliding-window"),
    pytest.param("create_mask_from_window", create_mask_from_window, id="create_mask-bool"),
    pytest.param("create_mask_from_window", create_mask_int, id="create_mask-0-1-int"),
    pytest.param("create_mask_from_window", create_mask_argmax, id="create_mask-argmax-first-maximum"),
    pytest.param("distribute_value", distribute_value, id="distribute_value-ones"),
    pytest.param("pool_backward", pool_backward_argmax, id="pool_backward-argmax-first-maximum"),
]


def test_conv_single_step_variants_return_the_types_they_claim():
    a, W, b = np.ones((2, 2, 1)), np.ones((2, 2, 1)), np.ones((1, 1, 1))
    assert type(conv_single_step_np_float64(a, W, b)) is np.float64
    assert type(conv_single_step_python_float(a, W, b)) is float


@pytest.mark.parametrize("name, correct", CORRECT)
def test_correct_variant_passes(name, correct, capsys):
    run_public_test(name, correct)
    assert f"{name} passes all public tests" in capsys.readouterr().out


def test_argmax_pool_backward_matches_at_no_tie():
    # The argmax version passes only because the public pool_backward data has no
    # ties; make that an explicit assumption rather than a silent one.
    from cnnbook.suites import assignment1 as a1

    for case, (dA, (A_prev, hp), mode) in a1.pool_backward_cases().items():
        f, s = hp["f"], hp["stride"]
        windows = sliding_window_view(A_prev, (f, f), axis=(1, 2))[:, ::s, ::s]
        tops = (windows == windows.max(axis=(4, 5), keepdims=True)).sum(axis=(4, 5))
        assert np.all(tops == 1), case


def test_the_published_bias_bug_is_reproduced_and_caught():
    """One published solution printed mean(Z) = 0.15585932488906465 for the course's input with
    pad 2 and stride 1: that is the bias-in-the-sum bug, not a correct layer."""
    np.random.seed(1)
    A_prev, W, b = np.random.randn(10, 4, 4, 3), np.random.randn(2, 2, 3, 8), np.random.randn(1, 1, 1, 8)
    Z, _ = conv_forward_bias_in_sum(A_prev, W, b, {"pad": 2, "stride": 1})
    assert np.isclose(np.mean(Z), 0.15585932488906465, rtol=1e-12)
    with pytest.raises(AssertionError, match="b was added to every element"):
        public_tests.conv_forward_test(conv_forward_bias_in_sum)

"""Assignment 2's catalogue beyond its rows (test_learner_bugs.py runs those): assumptions
its correct variants rely on, and variants that agree on integer and float input.

Learners write im2col, col2im and Convolution one row per window (as the source exercise
does: the Sources of mistakes.py) or one column per window (as the solutions do); with the
instructor package installed, ``check`` swaps the reference im2col and col2im in for the
ones a layer's methods call, so a layer's mistake has to be in its own methods.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from mistakes import code


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


@pytest.mark.parametrize("case", ["im2col-loop", "im2col-sliding_window_view", "im2col-float-buffer",
                                  "im2col-solution"])
def test_im2col_variants_agree_on_int_and_float_input(case):
    fn = code(case)
    for fh, fw, stride, pad in [(2, 2, 1, 0), (3, 2, 2, 1)]:
        assert np.array_equal(fn(INT_X, fh, fw, stride, pad), fn(INT_X.astype(float), fh, fw, stride, pad))


@pytest.mark.parametrize("case", ["col2im-loop", "col2im-np.add.at", "col2im-solution"])
def test_col2im_variants_agree_on_int_and_float_input(case):
    fn = code(case)
    shape, fh, fw, stride, pad = (2, 3, 5, 4), 3, 2, 2, 1
    col = np.arange(18 * 18).reshape(18, 18) % 5 - 2  # 2*3*3 windows of 3*3*2 values
    assert np.array_equal(fn(col, shape, fh, fw, stride, pad), fn(col.astype(float), shape, fh, fw, stride, pad))


@pytest.mark.parametrize("case", ["Convolution-@", "Convolution-np.dot", "Convolution-sliding-window-tensordot",
                                  "Convolution-solution"])
def test_convolution_variants_agree_on_int_and_float_input(case):
    cls = code(case)
    W, b = np.arange(2 * 3 * 3 * 2).reshape(2, 3, 3, 2) % 3 - 1, np.array([1, -2])
    dout = np.arange(2 * 2 * 3 * 3).reshape(2, 2, 3, 3) % 4 - 2
    results = []
    for dtype in (int, float):
        layer = cls(W.astype(dtype), b.astype(dtype), 2, 1)
        out = layer.forward(INT_X.astype(dtype))
        results.append((out, layer.backward(dout.astype(dtype)), layer.dW, layer.db))
    for got_int, got_float in zip(*results):
        assert np.array_equal(got_int, got_float)


@pytest.mark.parametrize("case", ["MaxPool-float-input", "MaxPool-solution", "MaxPool-rows-argmax",
                                  "AvgPool-solution", "AvgPool-rows", "AvgPool-np.average-ones",
                                  "AvgPool-sliding-window-mean"])
def test_pool_variants_agree_on_int_and_float_input(case):
    cls = code(case)
    results = []
    for dtype in (int, float):
        layer = cls(2, 3, 2, 1)
        out = layer.forward(INT_X.astype(dtype))
        results.append((out, layer.backward(np.ones_like(out))))
    for got_int, got_float in zip(*results):
        assert np.allclose(got_int, got_float)

"""Hidden tests of Assignment 2: the learner's im2col layers against the loop oracle.

Shapes and hyperparameters come from each test's own seeded generator (the same
draws on every run) and cover stride > 1, pad > 0, pad = 0, non-square inputs and
kernels and a batch of one; values must agree within 1e-5, the tolerance of the
original exercise. The layers' backward passes are also checked numerically.
``register`` is this assignment's ``cnnbook.graders`` entry point.
"""

from __future__ import annotations

import numpy as np

from cnnbook.checker import (assert_gradients, assert_same_array, call, case_failed, construct,
                             register_reference, register_suite)
from instructor import oracles_a2 as oracle

TOL = dict(rtol=1e-5, atol=1e-5)
# (filter_h, filter_w, stride, pad), for im2col, col2im and Convolution.
CONV_GEOMETRIES = [(3, 3, 1, 1), (2, 3, 2, 0), (3, 2, 3, 2), (1, 1, 1, 0), (4, 4, 2, 1)]
# (pool_h, pool_w, stride, pad), with pad at most half the window, as frameworks require.
POOL_GEOMETRIES = [(2, 2, 2, 0), (3, 2, 1, 0), (3, 3, 2, 1), (2, 3, 1, 1), (4, 4, 4, 0)]


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng([2026, 2, *name.encode()])


def _input(r, k, fh, fw, pad):
    """A non-square batch the window fits in; the first draw is a batch of one."""
    N = 1 if k == 0 else int(r.integers(2, 4))
    H = int(r.integers(max(fh - 2 * pad, 1), 7)) + 1
    W = H + int(r.integers(1, 3))
    return r.standard_normal((N, int(r.integers(1, 4)), max(H, fh), max(W, fw)))


def _same(name, case, got, want, label):
    assert_same_array(name, f"hidden {case}", got, want, label, **TOL)


def im2col(target):
    r = _rng("im2col")
    for k, (fh, fw, stride, pad) in enumerate(CONV_GEOMETRIES):
        x = _input(r, k, fh, fw, pad)
        case = f"{k + 1} (x {x.shape}, filter {fh} x {fw}, stride {stride}, pad {pad})"
        got = call("im2col", target, x, fh, fw, stride, pad, case=case)[0]
        _same("im2col", case, got, oracle.im2col(x, fh, fw, stride, pad), "col")


def col2im(target):
    r = _rng("col2im")
    for k, (fh, fw, stride, pad) in enumerate(CONV_GEOMETRIES):
        x = _input(r, k, fh, fw, pad)
        cols = oracle.im2col(x, fh, fw, stride, pad)
        c = r.standard_normal(cols.shape)
        case = f"{k + 1} (x {x.shape}, filter {fh} x {fw}, stride {stride}, pad {pad})"
        got = call("col2im", target, c, x.shape, fh, fw, stride, pad, case=case)[0]
        _same("col2im", case, got, oracle.col2im(c, x.shape, fh, fw, stride, pad), "img")
        if not np.isclose(np.sum(cols * c), np.sum(x * np.asarray(got)), rtol=1e-9, atol=1e-9):
            raise case_failed("col2im", f"hidden {case}", "col2im is not the adjoint of im2col")


def Convolution(target):
    r = _rng("Convolution")
    for k, (fh, fw, stride, pad) in enumerate(CONV_GEOMETRIES):
        x = _input(r, k, fh, fw, pad)
        W = r.standard_normal((int(r.integers(1, 4)), x.shape[1], fh, fw))
        b = r.standard_normal(W.shape[0])
        case = f"{k + 1} (x {x.shape}, W {W.shape}, stride {stride}, pad {pad})"
        layer = construct("Convolution", target, W.copy(), b.copy(), stride, pad)
        out = call("Convolution.forward", layer.forward, x, case=case)[0]
        _same("Convolution.forward", case, out, oracle.conv_forward(x, W, b, stride, pad), "out")
        dout = r.standard_normal(np.shape(out))
        dx = call("Convolution.backward", layer.backward, dout, case=case)[0]
        want = oracle.conv_backward(dout, x, W, stride, pad)
        for label, got, ref in zip(("dx", "dW", "db"), (dx, layer.dW, layer.db), want):
            _same("Convolution.backward", case, got, ref, label)
    x = r.standard_normal((2, 2, 4, 5))
    layer = construct("Convolution", target, r.standard_normal((3, 2, 3, 2)), r.standard_normal(3), 2, 1)
    assert_gradients("Convolution", layer, x, "hidden gradient check")


def _pool(name, mode):
    def suite(target):
        r = _rng(name)
        for k, (ph, pw, stride, pad) in enumerate(POOL_GEOMETRIES):
            x = _input(r, k, ph, pw, pad)
            case = f"{k + 1} (x {x.shape}, window {ph} x {pw}, stride {stride}, pad {pad})"
            layer = construct(name, target, ph, pw, stride, pad)
            out = call(f"{name}.forward", layer.forward, x, case=case)[0]
            _same(f"{name}.forward", case, out, oracle.pool_forward(x, ph, pw, stride, pad, mode), "out")
            dout = r.standard_normal(np.shape(out))
            dx = call(f"{name}.backward", layer.backward, dout, case=case)[0]
            _same(f"{name}.backward", case, dx,
                  oracle.pool_backward(dout, x, ph, pw, stride, pad, mode), "dx")
        assert_gradients(name, construct(name, target, 2, 3, 1, 1), r.standard_normal((2, 2, 4, 5)),
                         "hidden gradient check")
    return suite


SUITES = {"im2col": im2col, "col2im": col2im, "Convolution": Convolution,
          "MaxPool": _pool("MaxPool", "max"), "AvgPool": _pool("AvgPool", "average")}


def register() -> None:
    """Entry point of the ``cnnbook.graders`` group."""
    for name, suite in SUITES.items():
        register_suite(name, "hidden")(suite)
    register_reference("im2col", oracle.im2col)
    register_reference("col2im", oracle.col2im)

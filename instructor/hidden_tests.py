"""Hidden tests of Assignment 1: the learner's function against the oracle on
shapes and hyperparameters drawn from each test's own seeded generator.

The draws are the same on every run, so grades are reproducible. They cover
stride > 1, pad = 0, non-square inputs and even f. ``register`` is the
``cnnbook.graders`` entry point: it plugs these suites and the reference
helpers into the checker.
"""

from __future__ import annotations

import numpy as np

from cnnbook.checker import (NotImplementedYet, assert_same_array, call, case_failed,
                             register_reference, register_suite)
from instructor import oracles

# (f, stride, pad) combinations every conv and pool hidden test goes through.
GEOMETRIES = [(2, 2, 0), (3, 1, 0), (4, 3, 1), (1, 1, 2), (3, 2, 1), (2, 1, 0)]


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng([2026, *name.encode()])


def _shape(r, f, pad, batch=True):
    lo = max(f - 2 * pad, 1)
    m = int(r.integers(1, 4))
    h, w = int(r.integers(lo, lo + 5)), int(r.integers(lo, lo + 5))
    if h == w:
        w += 1  # keep height and width apart, so a swapped axis shows
    return (m, h, w, int(r.integers(1, 4))) if batch else (h, w)


def _compare(name, case, got, want, label="the result"):
    if got is None:
        raise NotImplementedYet(f"{name} is not implemented yet: {label} is None")
    assert_same_array(name, f"hidden {case}", got, want, label)


def _pair(name, result, case):
    if result is None:
        raise NotImplementedYet(f"{name} is not implemented yet: it returned None")
    if not (isinstance(result, tuple) and len(result) == 2):
        raise case_failed(name, f"hidden {case}", "expected the tuple (output, cache)")
    return result


def zero_pad(target):
    r = _rng("zero_pad")
    for k, pad in enumerate([0, 1, 2, 4]):
        X = r.standard_normal(_shape(r, 1, 0))
        _compare("zero_pad", f"{k + 1} (X {X.shape}, pad {pad})",
                 call("zero_pad", target, X, pad)[0], oracles.zero_pad(X, pad))


def conv_single_step(target):
    r = _rng("conv_single_step")
    for k in range(5):
        f, c = int(r.integers(1, 5)), int(r.integers(1, 5))
        a, W, b = r.standard_normal((f, f, c)), r.standard_normal((f, f, c)), r.standard_normal((1, 1, 1))
        case = f"{k + 1} (window {a.shape})"
        got = call("conv_single_step", target, a, W, b, case=case)[0]
        if got is None or np.ndim(got) != 0:
            raise case_failed("conv_single_step", f"hidden {case}", "the result is not a scalar")
        _compare("conv_single_step", case, float(got), oracles.conv_single_step(a, W, b))


def conv_forward(target):
    r = _rng("conv_forward")
    for k, (f, stride, pad) in enumerate(GEOMETRIES):
        m, h, w, c = _shape(r, f, pad)
        A = r.standard_normal((m, h, w, c))
        W = r.standard_normal((f, f, c, int(r.integers(1, 4))))
        b = r.standard_normal((1, 1, 1, W.shape[3]))
        hp = {"stride": stride, "pad": pad}
        case = f"{k + 1} (A_prev {A.shape}, W {W.shape}, stride {stride}, pad {pad})"
        Z, _ = _pair("conv_forward", call("conv_forward", target, A, W, b, hp, case=case)[0], case)
        _compare("conv_forward", case, Z, oracles.conv_forward(A, W, b, hp)[0], "Z")


def pool_forward(target):
    r = _rng("pool_forward")
    for k, (f, stride, _) in enumerate(GEOMETRIES):
        for mode in ("max", "average"):
            A = r.standard_normal(_shape(r, f, 0))
            hp = {"f": f, "stride": stride}
            case = f"{k + 1} (A_prev {A.shape}, f {f}, stride {stride}, {mode})"
            out, _ = _pair("pool_forward", call("pool_forward", target, A, hp, mode, case=case)[0], case)
            _compare("pool_forward", case, out, oracles.pool_forward(A, hp, mode)[0], "A")


def conv_backward(target):
    r = _rng("conv_backward")
    for k, (f, stride, pad) in enumerate(GEOMETRIES):
        m, h, w, c = _shape(r, f, pad)
        A = r.standard_normal((m, h, w, c))
        W = r.standard_normal((f, f, c, int(r.integers(1, 4))))
        b = r.standard_normal((1, 1, 1, W.shape[3]))
        hp = {"stride": stride, "pad": pad}
        Z, cache = oracles.conv_forward(A, W, b, hp)
        dZ = r.standard_normal(Z.shape)
        case = f"{k + 1} (A_prev {A.shape}, W {W.shape}, stride {stride}, pad {pad})"
        got = call("conv_backward", target, dZ, cache, case=case)[0]
        if got is None:
            raise NotImplementedYet("conv_backward is not implemented yet: it returned None")
        if not (isinstance(got, tuple) and len(got) == 3):
            raise case_failed("conv_backward", f"hidden {case}", "expected (dA_prev, dW, db)")
        for label, value, want in zip(("dA_prev", "dW", "db"), got, oracles.conv_backward(dZ, cache)):
            _compare("conv_backward", case, value, want, label)


def create_mask_from_window(target):
    r = _rng("create_mask_from_window")
    for k in range(5):
        x = r.standard_normal(_shape(r, 1, 0, batch=False))
        case = f"{k + 1} (window {x.shape})"
        got = call("create_mask_from_window", target, x, case=case)[0]
        _compare("create_mask_from_window", case, None if got is None else np.asarray(got, dtype=float),
                 oracles.create_mask_from_window(x).astype(float), "the mask")


def distribute_value(target):
    r = _rng("distribute_value")
    for k in range(5):
        shape, dz = _shape(r, 1, 0, batch=False), float(r.standard_normal())
        case = f"{k + 1} (dz {dz:.3f}, shape {shape})"
        _compare("distribute_value", case, call("distribute_value", target, dz, shape, case=case)[0],
                 oracles.distribute_value(dz, shape))


def pool_backward(target):
    r = _rng("pool_backward")
    for k, (f, stride, _) in enumerate(GEOMETRIES):
        for mode in ("max", "average"):
            A = r.standard_normal(_shape(r, f, 0))
            hp = {"f": f, "stride": stride}
            out, cache = oracles.pool_forward(A, hp, mode)
            dA = r.standard_normal(out.shape)
            case = f"{k + 1} (A_prev {A.shape}, f {f}, stride {stride}, {mode})"
            _compare("pool_backward", case, call("pool_backward", target, dA, cache, mode, case=case)[0],
                     oracles.pool_backward(dA, cache, mode), "dA_prev")


SUITES = {name: globals()[name] for name in oracles.GRADED}


def register() -> None:
    """Entry point of the ``cnnbook.graders`` group."""
    for name, suite in SUITES.items():
        register_suite(name, "hidden")(suite)
        register_reference(name, getattr(oracles, name))

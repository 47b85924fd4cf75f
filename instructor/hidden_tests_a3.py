"""Hidden tests of Assignment 3: the learner's layers, network and update step against the
oracle on shapes drawn from each test's own seeded generator, plus numerical gradient checks.
``register`` is this assignment's ``cnnbook.graders`` entry point.
"""

from __future__ import annotations

import numpy as np

from cnnbook.checker import (NotImplementedYet, assert_gradients, assert_same_array, call, case_failed,
                             construct, register_reference, register_suite)
from cnnbook.gradcheck import numerical_gradient, relative_error
from instructor import oracles_a3 as oracle


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng([2026, 3, *name.encode()])


def _same(name, case, got, want, label):
    assert_same_array(name, f"hidden {case}", got, want, label)


def _layer_pair(name, target, ref, x, dout, case, params=()):
    layer = target
    out = call(f"{name}.forward", layer.forward, x, case=case)[0]
    _same(f"{name}.forward", case, out, ref.forward(x), "out")
    dx = call(f"{name}.backward", layer.backward, dout, case=case)[0]
    _same(f"{name}.backward", case, dx, ref.backward(dout), "dx")
    for p in params:
        _same(f"{name}.backward", case, getattr(layer, f"d{p}", None), getattr(ref, f"d{p}"), f"d{p}")


def Relu(target):
    r = _rng("Relu")
    for k, shape in enumerate([(7,), (3, 5), (2, 3, 4, 5)]):
        x = r.standard_normal(shape)
        _layer_pair("Relu", construct("Relu", target), oracle.Relu(), x, r.standard_normal(shape),
                    f"{k + 1} (x {shape})")


def Dense(target):
    r = _rng("Dense")
    for k, (x_shape, K) in enumerate([((1, 6), 3), ((5, 2, 3, 3), 7), ((4, 16), 1)]):
        x = r.standard_normal(x_shape)
        D = int(np.prod(x_shape[1:]))
        W, b = r.standard_normal((D, K)), r.standard_normal(K)
        case = f"{k + 1} (x {x_shape}, W {W.shape})"
        _layer_pair("Dense", construct("Dense", target, W.copy(), b.copy()), oracle.Dense(W, b), x,
                    r.standard_normal((x_shape[0], K)), case, params=("W", "b"))
    x = r.standard_normal((3, 2, 2, 2))
    assert_gradients("Dense", construct("Dense", target, r.standard_normal((8, 4)), r.standard_normal(4)), x,
                     "hidden gradient check", seed=5)


def SoftmaxCrossEntropy(target):
    r = _rng("SoftmaxCrossEntropy")
    for k, (N, K, scale) in enumerate([(1, 3, 1.0), (6, 10, 3.0), (4, 7, 500.0)]):
        scores, labels = r.standard_normal((N, K)) * scale, r.integers(0, K, N)
        case = f"{k + 1} (scores {scores.shape}, scale {scale:g})"
        mine, ref = construct("SoftmaxCrossEntropy", target), oracle.SoftmaxCrossEntropy()
        with np.errstate(all="ignore"):
            loss = call("SoftmaxCrossEntropy.forward", mine.forward, scores, labels, case=case)[0]
            _same("SoftmaxCrossEntropy.forward", case, None if loss is None else float(loss),
                  ref.forward(scores, labels), "the loss")
            dout = float(r.uniform(0.5, 2))
            got = call("SoftmaxCrossEntropy.backward", mine.backward, dout, case=case)[0]
        _same("SoftmaxCrossEntropy.backward", case, got, ref.backward(dout), "dscores")
    scores, labels = r.standard_normal((3, 4)), np.array([0, 3, 1])
    mine = construct("SoftmaxCrossEntropy", target)
    mine.forward(scores, labels)
    analytic = mine.backward(1.0)
    numeric = numerical_gradient(lambda s: construct("SoftmaxCrossEntropy", target).forward(s, labels),
                                 scores.copy(), np.ones(()))
    if relative_error(analytic, numeric) > 1e-6:
        raise case_failed("SoftmaxCrossEntropy", "hidden gradient check",
                          "backward disagrees with a numerical gradient of forward")


def SimpleCNN(target):
    r = _rng("SimpleCNN")
    for k, (N, F, H, W) in enumerate([(2, 2, 8, 8), (3, 4, 6, 4), (1, 3, 4, 6)]):
        D = F * (H // 2) * (W // 2)
        params = {"W1": r.standard_normal((F, 1, 3, 3)) * 0.5, "b1": r.standard_normal(F) * 0.1,
                  "W2": r.standard_normal((D, 5)) * 0.3, "b2": r.standard_normal(5) * 0.1}
        x, labels = r.random((N, 1, H, W)), r.integers(0, 5, N)
        case = f"{k + 1} (x {x.shape}, {F} filters)"
        net = construct("SimpleCNN", target, {k2: v.copy() for k2, v in params.items()})
        ref = oracle.SimpleCNN({k2: v.copy() for k2, v in params.items()})
        _same("SimpleCNN.predict", case, call("SimpleCNN.predict", net.predict, x, case=case)[0],
              ref.predict(x), "scores")
        result = call("SimpleCNN.gradient", net.gradient, x, labels, case=case)[0]
        if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict)):
            raise case_failed("SimpleCNN", f"hidden {case}", "gradient should return (loss, grads)")
        loss, grads = ref.gradient(x, labels)
        _same("SimpleCNN.gradient", case, float(result[0]), loss, "the loss")
        for key in grads:
            _same("SimpleCNN.gradient", case, result[1].get(key), grads[key], f"grads['{key}']")


def sgd_step(target):
    r = _rng("sgd_step")
    for k, momentum in enumerate([0.0, 0.5, 0.9]):
        params = {"a": r.standard_normal((3, 2)), "b": r.standard_normal(4)}
        mine, ref = {kk: v.copy() for kk, v in params.items()}, {kk: v.copy() for kk, v in params.items()}
        v_mine = v_ref = None
        case = f"{k + 1} (momentum {momentum})"
        for step in range(3):
            grads = {kk: r.standard_normal(v.shape) for kk, v in params.items()}
            try:
                v_mine = target(mine, {kk: g.copy() for kk, g in grads.items()}, 0.1, momentum, v_mine)
            except NotImplementedError:
                raise NotImplementedYet("sgd_step is not implemented yet") from None
            v_ref = oracle.sgd_step(ref, grads, 0.1, momentum, v_ref)
            for kk in params:
                _same("sgd_step", f"{case}, step {step + 1}", mine[kk], ref[kk], f"params['{kk}']")


SUITES = {name: globals()[name] for name in oracle.GRADED}


def register() -> None:
    """Entry point of the ``cnnbook.graders`` group."""
    for name, suite in SUITES.items():
        register_suite(name, "hidden")(suite)
    for name in ("Convolution", "MaxPool", "Relu", "Dense", "SoftmaxCrossEntropy"):
        register_reference(name, getattr(oracle, name))

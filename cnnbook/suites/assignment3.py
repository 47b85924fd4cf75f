"""Public tests of Assignment 3, "Train your own CNN" (channels-first).

The same conventions as the other assignments: small cases, a hint for the mistake a
failure points to, inputs from the checks' own generator, expected arrays read from
``cnnbook/expected/assignment3.npz`` (generated from the solutions).
"""

from __future__ import annotations

import numpy as np

from cnnbook import expected as stored
from cnnbook.checks import (CheckFailed, NotImplementedYet, assert_same_array, call, case_failed,
                             close, construct, exercise, raising_frames, register_suite)

ASSIGNMENT = "assignment3"

exercise("Relu")
exercise("Dense")
exercise("SoftmaxCrossEntropy")
exercise("SimpleCNN", helpers=("Convolution", "MaxPool", "Relu", "Dense", "SoftmaxCrossEntropy"))
exercise("sgd_step")

PARAM_KEYS = ("W1", "b1", "W2", "b2")


def rng(seed: int) -> np.random.RandomState:
    return np.random.RandomState(seed)


def _no_zeros(a: np.ndarray) -> np.ndarray:
    # ReLU's derivative at exactly 0 may be taken as 0 or 1; keep the tests off that point.
    return np.where(a == 0, 0.5, a)


# Case inputs, shared with instructor/make_expected.py ------------------------------

def relu_cases() -> dict[str, tuple]:
    """name -> (x, dout)"""
    r = rng(20)
    return {"a vector": (np.array([-1.0, 2, -0.5, 3]), np.array([5.0, 6, 7, 8])),
            "a batch of feature maps": (_no_zeros(r.randn(2, 3, 4, 4)), r.randn(2, 3, 4, 4))}


def dense_cases() -> dict[str, tuple]:
    """name -> (x, W, b, dout)"""
    r = rng(21)
    return {"rows in, rows out": (r.randn(3, 4), r.randn(4, 5), r.randn(5), r.randn(3, 5)),
            "feature maps in (N, C, H, W)": (r.randn(2, 3, 2, 2), r.randn(12, 4), r.randn(4), r.randn(2, 4))}


def softmax_cases() -> dict[str, tuple]:
    """name -> (scores, labels, dout)"""
    r = rng(22)
    return {"two classes, equal scores": (np.zeros((1, 2)), np.array([1]), 1.0),
            "a batch of 4, 10 classes": (r.randn(4, 10), np.array([3, 0, 9, 3]), 1.0),
            "large scores (exp would overflow)": (r.randn(3, 5) * 1000, np.array([1, 4, 0]), 1.0),
            "with dout = 2.5": (r.randn(2, 3), np.array([2, 0]), 2.5)}


def network_cases() -> dict[str, tuple]:
    """name -> (params, x, labels)"""
    r = rng(23)
    params = {"W1": r.randn(3, 1, 3, 3) * 0.5, "b1": r.randn(3) * 0.1,
              "W2": r.randn(48, 10) * 0.2, "b2": r.randn(10) * 0.1}
    return {"4 digits, 3 filters": (params, r.rand(4, 1, 8, 8), np.array([0, 3, 7, 3]))}


def sgd_cases() -> dict[str, tuple]:
    """name -> (params, [grads of step 1, grads of step 2], lr, momentum)"""
    r = rng(24)
    params = {"W": r.randn(2, 3), "b": r.randn(3)}
    grads = [{"W": r.randn(2, 3), "b": r.randn(3)} for _ in range(2)]
    return {"plain SGD (momentum 0)": (params, grads, 0.1, 0.0),
            "momentum 0.9": (params, grads, 0.05, 0.9)}


def expected(key: str) -> np.ndarray:
    return stored.load(ASSIGNMENT)[key]


# Checks ---------------------------------------------------------------------

def _returned(name, value, label):
    if value is None:
        raise NotImplementedYet(f"{name} is not implemented yet: {label} is None")
    return value


@register_suite("Relu")
def _relu(target):
    name = "Relu"
    for case, (x, dout) in relu_cases().items():
        layer = construct(name, target)
        out = _returned(f"{name}.forward", call(f"{name}.forward", layer.forward, x, case=case)[0], "out")
        assert_same_array(f"{name}.forward", case, out, expected(f"{name}/{case}/out"), "out",
                          "out = max(x, 0), element by element, of the shape of x")
        dx = _returned(f"{name}.backward", call(f"{name}.backward", layer.backward, dout, case=case)[0], "dx")
        want = expected(f"{name}/{case}/dx")
        hint = "dx = dout where x > 0, and 0 where x <= 0 (the mask of forward)"
        if close(dx, dout):
            hint = "the gradient went through everywhere: stop it where forward's x was <= 0"
        elif close(dx, np.asarray(out, dtype=float)):
            hint = "backward returned forward's output: it takes dout, and uses only the mask"
        assert_same_array(f"{name}.backward", case, dx, want, "dx", hint)


@register_suite("Dense")
def _dense(target):
    name = "Dense"
    forward_hint = "flatten each example, x.reshape(N, -1), then x2 @ W + b"
    for case, (x, W, b, dout) in dense_cases().items():
        W0, b0 = W.copy(), b.copy()
        layer = construct(name, target, W.copy(), b.copy())
        # An error here is most often x @ W on feature maps (N, C, H, W), not flattened first.
        out = call(f"{name}.forward", layer.forward, x, case=case,
                   on_error=lambda err, shape=x.shape: f"x has shape {shape} here: {forward_hint}")[0]
        out = _returned(f"{name}.forward", out, "out")
        assert_same_array(f"{name}.forward", case, out, expected(f"{name}/{case}/out"), "out", forward_hint)
        dx = _returned(f"{name}.backward", call(f"{name}.backward", layer.backward, dout, case=case)[0], "dx")
        for label, got in (("dx", dx), ("dW", layer.dW), ("db", layer.db)):
            want = expected(f"{name}/{case}/{label}")
            if got is None:
                raise case_failed(name, case, f"backward did not set self.{label}", f"store it in self.{label}")
            hint = {"dx": "dx = dout @ W.T, reshaped to the shape of forward's x",
                    "dW": "dW = x2.T @ dout, with x2 the flattened input, shape (D, K)",
                    "db": "db = dout summed over the examples (axis 0), shape (K,)"}[label]
            if label == "dx" and np.size(got) == want.size and np.shape(got) != want.shape:
                hint = "give dx the shape forward's x had: .reshape(self.x_shape)"
            if label == "dW" and np.shape(got) == want.shape[::-1]:
                hint = "dW has the shape of W, (D, K): x2.T @ dout, not dout.T @ x2"
            assert_same_array(f"{name}.backward", case, got, want, label, hint)
        if not (np.array_equal(layer.W, W0) and np.array_equal(layer.b, b0)):
            raise case_failed(name, case, "the layer changed its W or b",
                              "the gradients go to self.dW and self.db; W and b stay as they are")


@register_suite("SoftmaxCrossEntropy")
def _softmax(target):
    name = "SoftmaxCrossEntropy"
    for case, (scores, labels, dout) in softmax_cases().items():
        layer = construct(name, target)
        with np.errstate(all="ignore"):  # an unstable softmax overflows: report it, don't warn
            loss = call(f"{name}.forward", layer.forward, scores, labels, case=case)[0]
        loss = _returned(f"{name}.forward", loss, "the loss")
        if np.ndim(loss) != 0:
            raise case_failed(name, case, f"the loss has shape {np.shape(loss)}, expected a number",
                              "the loss is the mean over the batch of -log p[label]")
        want = float(expected(f"{name}/{case}/loss"))
        want_probs = expected(f"{name}/{case}/probs")
        probs = getattr(layer, "probs", None)
        if not np.isfinite(float(loss)) or not np.isclose(float(loss), want, rtol=1e-6, atol=1e-7):
            hint = "loss = the mean over the batch of -log(p[n, labels[n]])"
            # p[label] underflows to 0 here: its log is -inf, or whatever a clip makes of it.
            log_of_zero = ("p[label] underflows to 0 on these scores, and no np.log of it (clipped or not) "
                           "gives the loss: take log-probabilities as shifted - log(sum(exp(shifted))), "
                           "not np.log(probs)")
            probs_right = (probs is not None and np.shape(probs) == want_probs.shape
                           and close(probs, want_probs))
            underflows = np.min(want_probs[np.arange(len(labels)), labels]) < np.finfo(float).tiny
            if not np.isfinite(float(loss)):
                hint = ("exp overflowed: subtract each row's maximum from the scores first, and take "
                        "log-probabilities as shifted - log(sum(exp(shifted)))")
                if probs_right:
                    hint = log_of_zero
            elif np.isclose(float(loss), want * len(labels)):
                hint = "the loss is the mean over the batch, not the sum"
            elif probs_right and underflows:
                hint = log_of_zero
            raise case_failed(name, case, f"the loss is {float(loss):.8g}, expected {want:.8g}", hint)
        if probs is None:
            raise case_failed(name, case, "forward did not keep self.probs",
                              "store the softmax probabilities in self.probs")
        hint = "p = exp(shifted) / sum(exp(shifted)) along each row"
        with np.errstate(all="ignore"):
            if np.shape(probs) == want_probs.shape and close(np.exp(np.asarray(probs, dtype=float)),
                                                             want_probs):
                hint = "self.probs holds log-probabilities: store their np.exp, the probabilities"
        assert_same_array(name, case, probs, want_probs, "self.probs", hint)
        with np.errstate(all="ignore"):
            dscores = call(f"{name}.backward", layer.backward, dout, case=case)[0]
        dscores = _returned(f"{name}.backward", dscores, "dscores")
        want = expected(f"{name}/{case}/dscores")
        hint = "dscores = (probs - one_hot(labels)) * dout / N"
        got = np.asarray(dscores, dtype=float)
        if got.shape == want.shape and np.allclose(got, want * len(labels)):
            hint = "divide by the batch size N: the loss is a mean"
        elif got.shape == want.shape and dout != 1.0 and np.allclose(got * dout, want):
            hint = "multiply by dout, the gradient that arrives from above"
        assert_same_array(f"{name}.backward", case, got, want, "dscores", hint)


PREDICT_HINT = ("run x through self.layers in order, first to last, each layer taking the output of "
                "the one before: x = layer.forward(x)")
BACKWARD_ORDER_HINT = ("run dout back through the layers in reverse order, last to first: "
                       "for layer in reversed(self.layers): dout = layer.backward(dout)")
BACKWARD_START_HINT = ("the last layer's backward takes dscores (N, K), the gradient of the loss with "
                       "respect to the scores: start with dout = self.loss_layer.backward()")


def _raising_layer(err: BaseException, net):
    """(index in net.layers, or "loss", and the method) of the outermost layer call that raised err."""
    layers = getattr(net, "layers", None)
    layers = list(layers) if isinstance(layers, (list, tuple)) else []
    for frame in raising_frames(err):
        me = frame.locals.get("self")
        method = frame.function
        if me is not None and me is not net and method in ("forward", "backward"):
            for i, layer in enumerate(layers):
                if me is layer:
                    return i, method
            if me is getattr(net, "loss_layer", None):
                return "loss", method
    return None, None


def _network_error_hint(net, in_predict: bool):
    """on_error for SimpleCNN's methods: which chain went wrong, from the layer that raised."""
    def hint(err):
        if not isinstance(err, (ValueError, IndexError, TypeError)):  # shapes that do not fit
            return ""
        where, method = _raising_layer(err, net)
        if where is None or where == "loss":
            return ""
        if in_predict or method == "forward":
            return PREDICT_HINT
        # Backward: the first layer to go back through is the last one, and it takes dscores.
        return BACKWARD_START_HINT if where == len(net.layers) - 1 else BACKWARD_ORDER_HINT
    return hint


@register_suite("SimpleCNN")
def _network(target):
    name = "SimpleCNN"
    for case, (params, x, labels) in network_cases().items():
        mine = {k: v.copy() for k, v in params.items()}
        net = construct(name, target, mine)
        scores = call(f"{name}.predict", net.predict, x, case=case,
                      on_error=_network_error_hint(net, True))[0]
        scores = _returned(f"{name}.predict", scores, "scores")
        assert_same_array(f"{name}.predict", case, scores, expected(f"{name}/{case}/scores"), "scores",
                          PREDICT_HINT)
        result = call(f"{name}.gradient", net.gradient, x, labels, case=case,
                      on_error=_network_error_hint(net, False))[0]
        result = _returned(f"{name}.gradient", result, "the result")
        if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict)):
            raise case_failed(name, case, "gradient should return (loss, grads), grads a dict",
                              "return loss, grads")
        loss, grads = result
        want = float(expected(f"{name}/{case}/loss"))
        if not np.isclose(float(loss), want, rtol=1e-6, atol=1e-7):
            raise case_failed(name, case, f"the loss is {float(loss):.8g}, expected {want:.8g}",
                              "loss = self.loss_layer.forward(scores, labels)")
        if sorted(grads) != sorted(PARAM_KEYS):
            raise case_failed(name, case, f"grads has the keys {sorted(grads)}, expected {list(PARAM_KEYS)}",
                              "grads is keyed like params: W1, b1 (convolution), W2, b2 (dense)")
        # db of the dense layer is dout summed over the batch: it shows what backward started from.
        backward_hint = ("run the gradient back through the layers in reverse order, starting from "
                         "self.loss_layer.backward(); W1 and b1 are the convolution's dW and db, W2 and b2 "
                         "the dense layer's")
        want_b2, db2 = expected(f"{name}/{case}/b2"), grads["b2"]
        if db2 is not None and np.shape(db2) == want_b2.shape and not close(db2, want_b2):
            if close(db2, expected(f"{name}/{case}/scores").sum(axis=0)):
                backward_hint = "dout started as the scores, not their gradient: " + BACKWARD_START_HINT
            elif close(db2, float(loss) * want_b2):
                backward_hint = ("self.loss_layer.backward() was given the loss: call it with no argument, "
                                 "its dout is 1.0, the gradient of the loss with respect to itself")
        for key in PARAM_KEYS:
            hint = backward_hint
            if grads[key] is not None and np.shape(grads[key]) != params[key].shape:
                hint = f"grads['{key}'] has the shape of params['{key}']: check which layer's gradient it is"
            assert_same_array(f"{name}.gradient", case, grads[key], expected(f"{name}/{case}/{key}"),
                              f"grads['{key}']", hint)
        for key in PARAM_KEYS:
            if not np.array_equal(mine[key], params[key]):
                raise case_failed(name, case, f"params['{key}'] changed", "gradient only computes; it updates nothing")


@register_suite("sgd_step")
def _sgd(target):
    name = "sgd_step"
    for case, (params, grads, lr, momentum) in sgd_cases().items():
        mine = {k: v.copy() for k, v in params.items()}
        arrays = dict(mine)
        velocity = None
        for step, g in enumerate(grads, 1):
            try:
                velocity = target(mine, {k: v.copy() for k, v in g.items()}, lr, momentum, velocity)
            except NotImplementedError:
                raise NotImplementedYet(f"{name} is not implemented yet") from None
            except Exception as err:
                raise CheckFailed(f"{name} raised {type(err).__name__} at step {step} on the case "
                                  f"{case}: {err}") from None
            if velocity is None:
                raise NotImplementedYet(f"{name} is not implemented yet: it returned None")
            for key in params:
                if mine[key] is not arrays[key]:
                    raise case_failed(name, case, f"params['{key}'] is a new array after step {step}",
                                      "update in place, params[k] += ..., so that the layers, which "
                                      "hold the same arrays, see the change")
                want = expected(f"{name}/{case}/step {step}/{key}")
                hint = "v = momentum * v - lr * g, then p += v"
                if step == 1 and close(mine[key], params[key] + lr * g[key]):
                    hint = "the step went up the gradient, not down: v = momentum * v - lr * g, then p += v"
                elif step == 2 and close(mine[key], params[key] - lr * (2 * grads[0][key] + g[key])):
                    hint = ("the old velocity counted in full: scale the old velocity by momentum, "
                            "v = momentum * v - lr * g")
                elif momentum and step == 2 and close(mine[key], params[key] - lr * (grads[0][key] + g[key])):
                    # A velocity reset to zeros at each call, or momentum * v left out: the same steps.
                    hint = ("step 2 ignored the velocity of step 1: start from the velocity passed in "
                            "(zeros only when it is None), keep the momentum * v in "
                            "v = momentum * v - lr * g, and return velocity")
                assert_same_array(name, f"{case}, step {step}", mine[key], want, f"params['{key}']", hint)

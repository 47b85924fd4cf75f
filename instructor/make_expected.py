"""Write the expected arrays of the public tests, computed by the solution notebooks.

    python -m instructor.make_expected          # rewrite cnnbook/expected/*.npz
    python -m instructor.make_expected --check  # exit 1 if they are stale
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import io
import sys

import numpy as np

from cnnbook import expected as stored
from cnnbook.suites import assignment1 as a1
from cnnbook.suites import assignment2 as a2
from cnnbook.suites import assignment3 as a3
from instructor import solutions


def assignment1_arrays() -> dict[str, np.ndarray]:
    fn = solutions.load("assignment1")
    out: dict[str, np.ndarray] = {}
    for case, args in a1.conv_single_step_cases().items():
        out[f"conv_single_step/{case}"] = np.asarray(fn["conv_single_step"](*args), dtype=float)
    for case, args in a1.conv_forward_cases().items():
        out[f"conv_forward/{case}"] = fn["conv_forward"](*args)[0]
    for case, args in a1.pool_forward_cases().items():
        out[f"pool_forward/{case}"] = fn["pool_forward"](*args)[0]
    course_dz = fn["conv_forward"](*a1.course_conv_backward_input())[0]
    out["conv_backward/course dZ"] = course_dz
    for case, (dZ, cache) in a1.conv_backward_cases(course_dz).items():
        for label, value in zip(("dA_prev", "dW", "db"), fn["conv_backward"](dZ, cache)):
            out[f"conv_backward/{case}/{label}"] = value
    for case, (dA, cache, mode) in a1.pool_backward_cases().items():
        out[f"pool_backward/{case}"] = fn["pool_backward"](dA, cache, mode)
    return out


def assignment2_arrays() -> dict[str, np.ndarray]:
    fn = solutions.load("assignment2")
    out: dict[str, np.ndarray] = {}
    for case, args in a2.im2col_cases().items():
        out[f"im2col/{case}"] = fn["im2col"](*args)
    for case, (col, shape, fh, fw, stride, pad, x) in a2.col2im_cases().items():
        out[f"col2im/{case}"] = fn["col2im"](col, shape, fh, fw, stride, pad)
        out[f"col2im/{case}/im2col(x)"] = fn["im2col"](x, fh, fw, stride, pad)
    for case, (x, W, b, stride, pad, dout) in a2.convolution_cases().items():
        layer = fn["Convolution"](W.copy(), b.copy(), stride, pad)
        out[f"Convolution/{case}/out"] = layer.forward(x)
        out[f"Convolution/{case}/dx"] = layer.backward(dout)
        out[f"Convolution/{case}/dW"], out[f"Convolution/{case}/db"] = layer.dW, layer.db
    for name in ("MaxPool", "AvgPool"):
        for case, (x, ph, pw, stride, pad, dout) in a2.pool_cases().items():
            layer = fn[name](ph, pw, stride, pad)
            out[f"{name}/{case}/out"] = layer.forward(x)
            out[f"{name}/{case}/dx"] = layer.backward(dout)
    return out


def assignment3_arrays() -> dict[str, np.ndarray]:
    fn = solutions.load("assignment3")
    out: dict[str, np.ndarray] = {}
    for case, (x, dout) in a3.relu_cases().items():
        layer = fn["Relu"]()
        out[f"Relu/{case}/out"] = layer.forward(x)
        out[f"Relu/{case}/dx"] = layer.backward(dout)
    for case, (x, W, b, dout) in a3.dense_cases().items():
        layer = fn["Dense"](W.copy(), b.copy())
        out[f"Dense/{case}/out"] = layer.forward(x)
        out[f"Dense/{case}/dx"] = layer.backward(dout)
        out[f"Dense/{case}/dW"], out[f"Dense/{case}/db"] = layer.dW, layer.db
    for case, (scores, labels, dout) in a3.softmax_cases().items():
        layer = fn["SoftmaxCrossEntropy"]()
        out[f"SoftmaxCrossEntropy/{case}/loss"] = np.asarray(layer.forward(scores, labels))
        out[f"SoftmaxCrossEntropy/{case}/probs"] = layer.probs
        out[f"SoftmaxCrossEntropy/{case}/dscores"] = layer.backward(dout)
    for case, (params, x, labels) in a3.network_cases().items():
        net = fn["SimpleCNN"]({k: v.copy() for k, v in params.items()})
        out[f"SimpleCNN/{case}/scores"] = net.predict(x)
        loss, grads = net.gradient(x, labels)
        out[f"SimpleCNN/{case}/loss"] = np.asarray(loss)
        out.update({f"SimpleCNN/{case}/{k}": v for k, v in grads.items()})
    for case, (params, steps, lr, momentum) in a3.sgd_cases().items():
        mine, velocity = {k: v.copy() for k, v in params.items()}, None
        for step, grads in enumerate(steps, 1):
            velocity = fn["sgd_step"](mine, grads, lr, momentum, velocity)
            out.update({f"sgd_step/{case}/step {step}/{k}": v.copy() for k, v in mine.items()})
    return out


def recorded(build) -> dict[str, np.ndarray]:
    """The views the explorers look up while ``build()`` makes their states, computed by the
    instructor's oracles (so the keys are the ones the explorers look up)."""
    from cnnbook.explorers import _expected

    _expected.recording = {}
    try:
        build()
        return dict(_expected.recording)
    finally:
        _expected.recording = None


def explorer_arrays() -> dict[str, np.ndarray]:
    """Assignment 1's explorers' expected views, for every setting their controls allow."""
    from cnnbook.explorers.convolution import conv_state
    from cnnbook.explorers.gradients import grad_state
    from cnnbook.explorers.pooling import EXAMPLE, RANDOM_MATRICES, TIES, pool_state, random_matrix

    def build():
        for n, f, pad, stride in itertools.product(range(2, 8), range(1, 6), range(0, 4), range(1, 4)):
            conv_state(n, f, pad, stride)
        for n, f, pad, stride in itertools.product(range(2, 7), range(1, 5), range(0, 3), range(1, 4)):
            for target in ("input", "weight"):
                grad_state("conv", target, n, f, pad, stride)
        for layer, n, f, stride in itertools.product(("max", "average"), range(2, 7), range(1, 5),
                                                     range(1, 4)):
            grad_state(layer, "input", n, f, 0, stride)
        matrices = [EXAMPLE, TIES] + [random_matrix(seed) for seed in range(1, RANDOM_MATRICES + 1)]
        for x, f, stride, mode in itertools.product(matrices, range(1, 5), range(1, 4), ("max", "average")):
            pool_state(x, f, stride, mode)

    return recorded(build)


def explorer_arrays_a2() -> dict[str, np.ndarray]:
    """Assignment 2's explorers' expected views, for every setting their controls allow."""
    from cnnbook.explorers import arithmetic, unfolding

    def build():
        for n, f, stride, pad in itertools.product(unfolding.N_RANGE, unfolding.F_RANGE,
                                                   unfolding.STRIDE_RANGE, unfolding.PAD_RANGE):
            unfolding.im2col_state(n, f, stride, pad)
        for n, f, stride, pad in itertools.product(arithmetic.N_RANGE, arithmetic.F_RANGE,
                                                   arithmetic.STRIDE_RANGE, arithmetic.PAD_RANGE):
            arithmetic.arithmetic_state(n, f, stride, pad)

    return recorded(build)


def trained_network() -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Assignment 3's solution network trained with the notebook's settings, and the test digits
    its explorer offers: the first of each digit, then its two most confident mistakes.

    Trained once: the stored parameters are reused while they are there (training is not
    bit-for-bit the same on every machine), so the views are regenerated from the same network.
    Delete cnnbook/expected/explorers_assignment3.npz to train again."""
    from cnnbook import digits
    from cnnbook.inspection import confident_mistakes
    from cnnbook.training import predict_all, train

    try:
        old = stored.load.__wrapped__("explorers_assignment3")
        return ({k: old[f"network/{k}"] for k in ("W1", "b1", "W2", "b2")},
                old["network/digits"].astype(int))
    except (FileNotFoundError, KeyError):
        pass
    fn = solutions.load("assignment3")
    data = {name: (digits.as_batch(images), labels.astype(np.int64))
            for name, (images, labels) in digits.load().items()}
    params = solutions.load_cells("assignment3", "init_params")["init_params"](filters=16, seed=0)
    net = fn["SimpleCNN"](params)
    with contextlib.redirect_stdout(io.StringIO()):
        train(net, data, fn["sgd_step"], epochs=20, lr=0.05, momentum=0.9, batch_size=32, seed=0,
              live=False)
    x_test, labels = data["test"]
    scores = predict_all(net, x_test)
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    firsts = [int(np.flatnonzero(labels == d)[0]) for d in range(10)]
    mistakes = [int(i) for i in confident_mistakes(probs, labels, k=2)]
    return {k: np.array(v) for k, v in net.params.items()}, np.array(firsts + mistakes)


def explorer_arrays_a3() -> dict[str, np.ndarray]:
    """Assignment 3's explorer: the trained network and its expected views of every offered digit."""
    from cnnbook.explorers import network

    params, offered = trained_network()

    def build():
        for digit in range(len(offered)):
            for patch in network.PATCH_SIZES:
                network.network_state(digit, patch=patch, params=params, offered=offered)

    out = recorded(build)
    out.update({f"network/{k}": v for k, v in params.items()})
    out["network/digits"] = offered.astype(np.int64)
    return out


BUILDERS = {"assignment1": assignment1_arrays, "assignment2": assignment2_arrays,
            "assignment3": assignment3_arrays, "explorers": explorer_arrays,
            "explorers_assignment2": explorer_arrays_a2, "explorers_assignment3": explorer_arrays_a3}


def serialize(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **{k: arrays[k] for k in sorted(arrays)})
    return buf.getvalue()


def stale(assignment: str) -> list[str]:
    """Keys whose stored array differs from what the solutions compute now."""
    fresh = BUILDERS[assignment]()
    try:
        old = stored.load.__wrapped__(assignment)
    except FileNotFoundError:
        return sorted(fresh)
    keys = sorted(set(fresh) | set(old))
    return [k for k in keys if k not in fresh or k not in old or fresh[k].shape != old[k].shape
            or not np.array_equal(fresh[k], old[k])]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale arrays")
    args = parser.parse_args(argv)
    status = 0
    for assignment, build in BUILDERS.items():
        if args.check:
            bad = stale(assignment)
            if bad:
                print(f"{assignment}: stale expected arrays: {', '.join(bad)}")
                status = 1
            continue
        if stored.path(assignment).exists() and not stale(assignment):
            print(f"{assignment}: expected arrays are up to date")
            continue
        stored.path(assignment).write_bytes(serialize(build()))
        print(f"wrote {stored.path(assignment)}")
    return status


if __name__ == "__main__":
    sys.exit(main())

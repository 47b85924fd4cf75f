"""Public tests of Assignment 1, "Convolution step by step".

Each check runs small cases from simple to hard and stops at the first failure,
with a hint for the mistake that failure points to. Inputs come from the
checks' own ``np.random.RandomState``, so the learner's global seed is left
alone. Values from the original course are asserted as published; other
expected arrays are read from ``cnnbook/expected/assignment1.npz``, which is
generated from the solutions (this file holds no implementation of a graded
function).
"""

from __future__ import annotations

import numpy as np

from cnnbook import expected as stored
from cnnbook.checks import (ATOL, RTOL, NotImplementedYet, assert_same_array, assert_shape,
                             call, case_failed, close, exercise, register_suite)

ASSIGNMENT = "assignment1"

exercise("zero_pad")
exercise("conv_single_step")
exercise("conv_forward", helpers=("zero_pad", "conv_single_step"))
exercise("pool_forward")
exercise("conv_backward", helpers=("zero_pad",))
exercise("create_mask_from_window")
exercise("distribute_value")
exercise("pool_backward", helpers=("create_mask_from_window", "distribute_value"))


def rng(seed: int = 1) -> np.random.RandomState:
    # RandomState(1) draws what np.random.seed(1) would, without touching the global seed.
    return np.random.RandomState(seed)


# Case inputs --------------------------------------------------------------
# Shared with instructor/make_expected.py, which stores the solutions' outputs
# for every case under "<exercise>/<case>[/<output>]".

def conv_forward_cases() -> dict[str, tuple]:
    r = rng(1)
    course = (r.randn(2, 5, 7, 4), r.randn(3, 3, 4, 8), r.randn(1, 1, 1, 8), {"pad": 1, "stride": 2})
    r = rng(2)
    plain = (r.randn(2, 4, 5, 3), r.randn(2, 2, 3, 2), r.randn(1, 1, 1, 2), {"pad": 0, "stride": 1})
    padded = (plain[0], plain[1], plain[2], {"pad": 1, "stride": 1})
    r = rng(3)
    strided = (r.randn(2, 7, 6, 2), r.randn(3, 3, 2, 3), r.randn(1, 1, 1, 3), {"pad": 0, "stride": 2})
    r = rng(4)
    uneven = (r.randn(1, 6, 9, 2), r.randn(2, 2, 2, 2), r.randn(1, 1, 1, 2), {"pad": 2, "stride": 3})
    first = course_conv_backward_input()[:3] + ({"pad": 2, "stride": 1},)
    return {"stride 1, pad 0": plain, "stride 1, pad 1": padded,
            "stride 2, pad 0": strided, "stride 3, pad 2, even f": uneven,
            "of the course (stride 2, pad 1)": course,
            "of the course's first version (stride 1, pad 2)": first}


def pool_forward_cases() -> dict[str, tuple]:
    a = rng(1).randn(2, 5, 5, 3)
    b = rng(5).randn(2, 4, 6, 2)
    cases = {}
    for mode in ("max", "average"):
        cases[f"{mode}, f 3, stride 1"] = (a, {"f": 3, "stride": 1}, mode)
        cases[f"{mode}, f 2, stride 2, non-square"] = (b, {"f": 2, "stride": 2}, mode)
        cases[f"{mode}, f 3, stride 2"] = (a, {"f": 3, "stride": 2}, mode)
    return cases


def conv_backward_cases(course_dz: np.ndarray) -> dict[str, tuple]:
    """(dZ, cache) pairs. The caches are built here, never by the learner's forward pass.

    ``course_dz`` is the Z that conv_forward gives for the course's input; the
    course feeds it back as dZ.
    """
    r = rng(6)
    A, W, b = r.randn(2, 4, 5, 3), r.randn(2, 2, 3, 2), r.randn(1, 1, 1, 2)
    W1 = r.randn(1, 1, 3, 2)
    cases = {
        "f 1, stride 1, pad 0": ((2, 4, 5, 2), (A, W1, b, {"pad": 0, "stride": 1})),
        "stride 2, pad 0 (windows do not overlap)": ((2, 2, 2, 2), (A, W, b, {"pad": 0, "stride": 2})),
        "stride 1, pad 0 (windows overlap)": ((2, 3, 4, 2), (A, W, b, {"pad": 0, "stride": 1})),
        "stride 1, pad 1": ((2, 5, 6, 2), (A, W, b, {"pad": 1, "stride": 1})),
    }
    r = rng(7)
    out = {name: (r.randn(*shape), cache) for name, (shape, cache) in cases.items()}
    out["of the course (stride 2, pad 2)"] = (course_dz, course_conv_backward_input())
    return out


def course_conv_backward_input() -> tuple:
    r = rng(1)
    return (r.randn(10, 4, 4, 3), r.randn(2, 2, 3, 8), r.randn(1, 1, 1, 8), {"pad": 2, "stride": 2})


def pool_backward_cases() -> dict[str, tuple]:
    r = rng(1)
    a = r.randn(5, 5, 3, 2)
    da = r.randn(5, 4, 2, 2)
    r = rng(8)
    b = r.randn(2, 4, 6, 3)
    db2 = r.randn(2, 2, 3, 3)
    db1 = r.randn(2, 2, 4, 3)
    cases = {}
    for mode in ("max", "average"):
        cases[f"{mode}, f 2, stride 2 (windows do not overlap)"] = (db2, (b, {"f": 2, "stride": 2}), mode)
        cases[f"{mode}, f 3, stride 1 (windows overlap)"] = (db1, (b, {"f": 3, "stride": 1}), mode)
        cases[f"{mode}, of the course (f 2, stride 1)"] = (da, (a, {"f": 2, "stride": 1}), mode)
    return cases


def conv_single_step_cases() -> dict[str, tuple]:
    r = rng(1)
    course = (r.randn(4, 4, 3), r.randn(4, 4, 3), r.randn(1, 1, 1))
    r = rng(9)
    small = (r.randn(2, 2, 1), r.randn(2, 2, 1), r.randn(1, 1, 1))
    return {"2x2x1": small, "of the course": course}


def expected(key: str) -> np.ndarray:
    return stored.load(ASSIGNMENT)[key]


# Checks -------------------------------------------------------------------

TOL = dict(rtol=RTOL, atol=ATOL)
SIZE_HINT = ("n_H = floor((n_H_prev + 2*pad - f) / stride) + 1, the same for n_W; "
             "int() or // gives the floor")
STRIDE_HINT = "the window ignores the stride: vert_start = h * stride, horiz_start = w * stride"
BATCH_HINT = "every example got the result of example 0: index the batch with the loop's i"
BATCH_GRADIENT_HINT = ("all the gradient went to example 0 and the other examples got none: "
                       "index the batch with the loop's i")
SHARED_DA_PREV_PAD_HINT = ("example i got the gradient of examples 0 to i: every example added to "
                           "the same da_prev_pad; take da_prev_pad = dA_prev_pad[i] in the loop over i")
UNPAD_HINT = ("with pad = 0, [pad:-pad] is [0:0], an empty slice: unpad with "
              "[pad:pad + n_H_prev, pad:pad + n_W_prev]")


def _returned_none(name):
    return NotImplementedYet(f"{name} is not implemented yet: it returned None")


def _other_mode(case: str, mode: str) -> str:
    return case.replace(mode, "average" if mode == "max" else "max", 1)


def _same_as_example_0(got, want) -> bool:
    """True when every example's result is what example 0 should give."""
    return (got.shape[0] > 1 and not np.allclose(want[1:], want[:1], **TOL)
            and all(np.allclose(g, want[0], **TOL) for g in got))


def _only_example_0(got, want) -> bool:
    """True when all gradient landed in example 0 and the others stayed zero."""
    return got.shape[0] > 1 and np.all(got[1:] == 0) and np.any(want[1:] != 0)


def _accumulated_over_examples(got, want) -> bool:
    """True when example i got the sum of the gradients of examples 0 to i."""
    return (got.shape[0] > 1 and np.any(want[1:] != 0)
            and np.allclose(got, np.cumsum(want, axis=0), **TOL))


def _unpack_forward(name, result, case):
    if result is None:
        raise _returned_none(name)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise case_failed(name, case, f"it returned {type(result).__name__}, expected the "
                          "tuple (output, cache)")
    return result


def _check_cache(name, case, cache, inputs, layout):
    hint = f"return cache = {layout}, the inputs as given: the backward pass reads it"
    if not (isinstance(cache, tuple) and len(cache) == len(inputs)):
        raise case_failed(name, case, f"the cache is not the tuple {layout}", hint)
    for got, given in zip(cache, inputs):
        if isinstance(given, np.ndarray):
            if not (isinstance(got, np.ndarray) and got.shape == given.shape
                    and np.array_equal(got, given)):
                raise case_failed(name, case, f"the cache is not {layout}", hint)
        elif got != given:
            raise case_failed(name, case, f"the cache is not {layout}: hparameters differ", hint)


@register_suite("zero_pad")
def _zero_pad(target):
    name = "zero_pad"
    cases = {"of the course (pad 3)": (rng(1).randn(4, 3, 3, 2), 3),
             "pad 0": (rng(2).randn(2, 3, 4, 1), 0),
             "pad 1, non-square": (rng(3).randn(2, 2, 5, 3), 1)}
    for case, (x, pad) in cases.items():
        got, _ = call(name, target, x, pad, case=case)
        if got is None:
            raise _returned_none(name)
        m, h, w, c = x.shape
        want = (m, h + 2 * pad, w + 2 * pad, c)
        got = np.asarray(got)
        if got.shape != want:
            raise case_failed(name, case, f"the result has shape {got.shape}, expected {want}",
                              "pad only the height and width axes: "
                              "np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))")
        border = got.copy()
        border[:, pad:pad + h, pad:pad + w, :] = 0
        if not np.array_equal(got[:, pad:pad + h, pad:pad + w, :], x):
            raise case_failed(name, case, "the centre of the padded array differs from X",
                              "the original values sit in the middle, unchanged")
        if np.any(border != 0):
            raise case_failed(name, case, "the border is not all zeros",
                              "use mode='constant' with constant_values=0")


@register_suite("conv_single_step")
def _conv_single_step(target):
    name = "conv_single_step"
    for case, (a, W, b) in conv_single_step_cases().items():
        got, _ = call(name, target, a, W, b, case=case)
        if got is None:
            raise _returned_none(name)
        if np.ndim(got) != 0:
            raise case_failed(name, case, f"the result has shape {np.shape(got)}, expected a scalar",
                              "b has shape (1, 1, 1): add b.item(), a plain number, so that "
                              "Z stays a scalar")
        if not np.issubdtype(np.asarray(got).dtype, np.floating):
            raise case_failed(name, case, f"the result is {type(got).__name__}, expected a float")
        want = float(expected(f"{name}/{case}"))
        got = float(got)
        if np.isclose(got, want, **TOL):
            continue
        bias = b.item()
        if np.isclose(got - want, bias * (a.size - 1), **TOL):
            hint = ("b was added to every element before the sum, so it counts f*f*n_C times: "
                    "sum a_slice_prev * W first, then add b once")
        elif np.isclose(got, (want - bias) / a.size + bias, **TOL):
            hint = "use np.sum, not np.mean: the window is summed"
        elif np.isclose(got, want - bias, **TOL):
            hint = "the bias b is missing"
        else:
            hint = "Z = the sum of a_slice_prev * W (element by element), plus b once"
        raise case_failed(name, case, f"got {got:.10g}, expected {want:.10g}", hint)
    got = float(call(name, target, *conv_single_step_cases()["of the course"])[0])
    if not np.isclose(got, -6.999089450680221, rtol=1e-9, atol=0):
        raise case_failed(name, "of the course", f"got {got!r}, expected -6.999089450680221")


CONV_FORWARD_HINTS = {
    "stride 1, pad 0": ("Z[i, h, w, c] = conv_single_step(a_slice_prev, W[:, :, :, c], "
                        "b[:, :, :, c]), with a_slice_prev = "
                        "a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]"),
    "stride 1, pad 1": "slice the padded input A_prev_pad = zero_pad(A_prev, pad), not A_prev",
    "stride 2, pad 0": STRIDE_HINT,
    "stride 3, pad 2, even f": ("the window is f wide (vert_end = vert_start + f), starts at "
                                "h * stride and slides over the padded input"),
    "of the course (stride 2, pad 1)": "compare with the earlier cases, which passed",
    "of the course's first version (stride 1, pad 2)": "compare with the earlier cases, which passed",
}


@register_suite("conv_forward")
def _conv_forward(target):
    name = "conv_forward"
    for case, args in conv_forward_cases().items():
        A, W, b, hp = args
        hint = CONV_FORWARD_HINTS[case]
        result, _ = call(name, target, *args, case=case,
                         on_error=lambda err: hint if "broadcast" in str(err) else "")
        Z, cache = _unpack_forward(name, result, case)
        want = expected(f"{name}/{case}")
        assert_shape(name, case, Z, want, "Z", SIZE_HINT)
        Z = np.asarray(Z, dtype=float)
        if not close(Z, want):
            if _same_as_example_0(Z, want):
                hint = BATCH_HINT
            elif np.allclose(Z - want, b.reshape(-1) * (W[..., 0].size - 1), **TOL):
                hint = ("b was added to every element of the window: add it once, after the sum")
            assert_same_array(name, case, Z, want, "Z", hint)
        _check_cache(name, case, cache, args, "(A_prev, W, b, hparameters)")
    Z = np.asarray(call(name, target, *conv_forward_cases()["of the course (stride 2, pad 1)"])[0][0])
    z021 = [-2.17796037, 8.07171329, -0.5772704, 3.36286738, 4.48113645, -2.89198428,
            10.99288867, 3.03171932]
    if not (np.isclose(np.mean(Z), 0.5511276474566768, rtol=1e-9, atol=0)
            and np.allclose(Z[0, 2, 1], z021, atol=1e-7)):
        raise case_failed(name, "of the course", "mean(Z) or Z[0, 2, 1] differs from the course's values")
    # One published solution printed 0.15585932488906465 here: the bias added inside the sum.
    Z = np.asarray(call(name, target, *conv_forward_cases()["of the course's first version (stride 1, pad 2)"])[0][0])
    if not np.isclose(np.mean(Z), 0.0028129462864862967, rtol=1e-9, atol=0):
        raise case_failed(name, "of the course's first version", f"mean(Z) is {float(np.mean(Z))!r}, "
                          "expected 0.0028129462864862967")


def _pool_forward_hint(case):
    if "stride 2" in case:
        return STRIDE_HINT
    return "pool each channel of the window a_prev[vert_start:vert_end, horiz_start:horiz_end, c]"


@register_suite("pool_forward")
def _pool_forward(target):
    name = "pool_forward"
    cases = pool_forward_cases()
    for case, args in cases.items():
        A_prev, hp, mode = args
        result, _ = call(name, target, *args, case=case)
        A, cache = _unpack_forward(name, result, case)
        want = expected(f"{name}/{case}")
        assert_shape(name, case, A, want, "A",
                      "n_H = floor((n_H_prev - f) / stride) + 1, the same for n_W")
        A = np.asarray(A, dtype=float)
        if not close(A, want):
            ratio = np.median(A / want)
            if close(A, expected(f"{name}/{_other_mode(case, mode)}")):
                hint = f"this is the result of the other mode: follow mode={mode!r}"
            elif _same_as_example_0(A, want):
                hint = BATCH_HINT
            elif A.shape[-1] > 1 and np.allclose(A, A[..., :1]):
                hint = ("every channel got the same value: pool each channel on its own, "
                        "a_prev[vert_start:vert_end, horiz_start:horiz_end, c]")
            elif mode == "average" and np.allclose(A, ratio * want, **TOL):
                hint = (f"each average is {ratio:.4g} times the right one: divide the window's "
                        "sum by its f*f cells (np.mean does it for you)")
            else:
                hint = _pool_forward_hint(case)
            assert_same_array(name, case, A, want, "A", hint)
        _check_cache(name, case, cache, args[:2], "(A_prev, hparameters)")
    published = {
        ("max, f 3, stride 1", (1, 1)): [[1.96710175, 0.84616065, 1.27375593],
                                         [1.96710175, 0.84616065, 1.23616403],
                                         [1.62765075, 1.12141771, 1.2245077]],
        ("average, f 3, stride 1", (1, 1)): [[0.44497696, -0.00261695, -0.31040307],
                                             [0.50811474, -0.23493734, -0.23961183],
                                             [0.11872677, 0.17255229, -0.22112197]],
        ("max, f 3, stride 2", (0,)): [[[1.74481176, 0.90159072, 1.65980218],
                                        [1.74481176, 1.6924546, 1.65980218]],
                                       [[1.13162939, 1.51981682, 2.18557541],
                                        [1.13162939, 1.6924546, 2.18557541]]],
    }
    for (case, index), value in published.items():
        A = np.asarray(call(name, target, *cases[case])[0][0])
        if not np.allclose(A[index], value, atol=1e-7):
            raise case_failed(name, case, f"A[{', '.join(map(str, index))}] differs from the "
                              "course's values")


CONV_BACKWARD_HINTS = {
    "f 1, stride 1, pad 0": ("for each window: da_prev_pad[window] += W[:, :, :, c] * dZ[i, h, w, c] "
                             "and dW[:, :, :, c] += a_slice * dZ[i, h, w, c]"),
    "stride 2, pad 0 (windows do not overlap)": STRIDE_HINT,
    "stride 1, pad 0 (windows overlap)": ("windows overlap here: accumulate with +=, so that a "
                                          "value in several windows collects a gradient from each"),
    "stride 1, pad 1": ("slice the padded arrays (A_prev_pad, dA_prev_pad), then unpad "
                        "dA_prev_pad into dA_prev at the end"),
    "of the course (stride 2, pad 2)": "compare with the earlier cases, which passed",
}


@register_suite("conv_backward")
def _conv_backward(target):
    name = "conv_backward"
    cases = conv_backward_cases(expected("conv_backward/course dZ"))
    for case, (dZ, cache) in cases.items():
        A, W, b, hp = cache
        result, _ = call(name, target, dZ, cache, case=case,
                         on_error=lambda err: UNPAD_HINT if hp["pad"] == 0 and "(0," in str(err) else "")
        if result is None:
            raise _returned_none(name)
        if not (isinstance(result, tuple) and len(result) == 3):
            raise case_failed(name, case, "expected the tuple (dA_prev, dW, db)")
        for label, value, given in zip(("dA_prev", "dW", "db"), result, ("A_prev", "W", "b")):
            want = expected(f"{name}/{case}/{label}")
            hint = f"{label} has the shape of {given}"
            if value is not None and np.shape(value)[1:3] == (0, 0):
                hint = UNPAD_HINT
            assert_shape(name, case, value, want, label, hint)
            value = np.asarray(value, dtype=float)
            if close(value, want):
                continue
            if label == "db":
                hint = ("db[:, :, :, c] is the sum of dZ[i, h, w, c] over i, h and w: "
                        "accumulate it with +=")
            elif label == "dA_prev" and _only_example_0(value, want):
                hint = BATCH_GRADIENT_HINT
            elif label == "dA_prev" and _accumulated_over_examples(value, want):
                hint = SHARED_DA_PREV_PAD_HINT
            elif (label == "dA_prev" and case.startswith("f 1")
                  and np.allclose(value, dZ[..., -1:] * W[0, 0, :, -1], **TOL)):
                # With f = 1 each input is in one window, where the n_C filters add up.
                hint = ("dA_prev kept only the last filter's term: every filter c adds "
                        "W[:, :, :, c] * dZ[i, h, w, c] to the window, so use "
                        "da_prev_pad[window] += ..., not =")
            elif label == "dW" and case.startswith("f 1"):
                hint = "dW[:, :, :, c] collects a_slice * dZ[i, h, w, c] from every window: use +="
            else:
                hint = CONV_BACKWARD_HINTS[case]
            assert_same_array(name, case, value, want, label, hint)
    dA, dW, db = call(name, target, *cases["of the course (stride 2, pad 2)"])[0]
    for label, value, pub in (("dA_prev", dA, 1.4524377775388075), ("dW", dW, 1.7269914583139097),
                              ("db", db, 7.839232564616838)):
        if not np.isclose(np.mean(value), pub, rtol=1e-9, atol=0):
            raise case_failed(name, "of the course", f"mean({label}) is "
                              f"{float(np.mean(value))!r}, expected {pub!r}")


def _as_mask(name, case, got, shape):
    if got is None:
        raise _returned_none(name)
    got = np.asarray(got)
    if got.shape != shape:
        raise case_failed(name, case, f"the mask has shape {got.shape}, expected {shape}",
                          "the mask has the shape of the window x")
    if got.dtype != bool and not (np.issubdtype(got.dtype, np.number) and np.isin(got, (0, 1)).all()):
        raise case_failed(name, case, "the mask holds values other than True/False (or 1/0)",
                          "mask = (x == np.max(x))")
    return got.astype(bool)


@register_suite("create_mask_from_window")
def _create_mask(target):
    name = "create_mask_from_window"
    cases = {"of the course": np.array([[-1., 2, 3], [2, -3, 2], [1, 5, -2]]),
             "2x3 random": rng(1).randn(2, 3),
             "all negative": np.array([[-4., -1.5], [-2, -3]]),
             "3x1": np.array([[0.5], [2.5], [1.0]])}
    for case, x in cases.items():
        mask = _as_mask(name, case, call(name, target, x, case=case)[0], x.shape)
        top = x == x.max()
        if not np.array_equal(mask, top):
            raise case_failed(name, case, f"the mask is True at {np.argwhere(mask).tolist()}, "
                              f"expected only at {np.argwhere(top).tolist()}",
                              "mask = (x == np.max(x))")
    # A tie: sending the gradient to every maximum (x == max) or to one of them
    # (argmax, as frameworks do) are both right.
    case = "with a tie"
    x = np.array([[1., 3.], [3., 0.]])
    mask = _as_mask(name, case, call(name, target, x, case=case)[0], x.shape)
    top = x == x.max()
    if mask.sum() not in (1, top.sum()) or np.any(mask & ~top):
        raise case_failed(name, case, f"the mask is True at {np.argwhere(mask).tolist()}",
                          "mark every maximum (x == np.max(x)) or exactly one of them")


@register_suite("distribute_value")
def _distribute_value(target):
    name = "distribute_value"
    cases = {"dz 2, shape (2, 2)": (2, (2, 2), 0.5),
             "dz 100, shape (10, 10)": (100, (10, 10), 1.0),
             "dz 3.0, shape (2, 3)": (3.0, (2, 3), 0.5),
             "dz -1.2, shape (3, 1)": (np.float64(-1.2), (3, 1), -0.4)}
    for case, (dz, shape, share) in cases.items():
        got, _ = call(name, target, dz, shape, case=case)
        if got is None:
            raise _returned_none(name)
        got = np.asarray(got)
        if got.shape != shape:
            raise case_failed(name, case, f"the result has shape {got.shape}, expected {shape}",
                              "return an array of the given shape, e.g. np.ones(shape) * average")
        if not np.allclose(got, share, **TOL):
            hint = "each of the f_H * f_W cells of the window gets dz / (f_H * f_W)"
            if np.allclose(got, dz):
                hint = "every cell got dz itself: divide it by the number of cells, f_H * f_W"
            raise case_failed(name, case, f"got the values {np.unique(got)[:3].tolist()}, "
                              f"expected {share} everywhere", hint)


@register_suite("pool_backward")
def _pool_backward(target):
    name = "pool_backward"
    cases = pool_backward_cases()
    for case, (dA, cache, mode) in cases.items():
        result, _ = call(name, target, dA, cache, mode, case=case)
        want = expected(f"{name}/{case}")
        assert_shape(name, case, result, want, "dA_prev", "dA_prev has the shape of A_prev")
        got = np.asarray(result, dtype=float)
        if close(got, want):
            continue
        f = cache[1]["f"]
        # Each window hands on all of its gradient, whatever the mode (no ties here).
        conserved = np.isclose(got.sum(), dA.sum(), **TOL)
        if close(got, expected(f"{name}/{_other_mode(case, mode)}")):
            hint = f"this is the result of the other mode: follow mode={mode!r}"
        elif _only_example_0(got, want):
            hint = BATCH_GRADIENT_HINT
        elif conserved and "do not overlap" in case:
            hint = STRIDE_HINT
        elif "overlap)" in case and "do not" not in case:
            # Reached only when the same mode passed without overlapping windows.
            hint = ("windows overlap here: accumulate with += so that an input in several "
                    "windows collects the gradient of each")
        elif mode == "average" and not conserved:
            share = got.sum() / dA.sum()
            hint = (f"the windows handed on {share:.4g} times their gradient: divide each dA "
                    f"by the window's area f*f = {f * f} (distribute_value does it)")
        elif mode == "average":
            hint = "dA_prev[i, window, c] += distribute_value(dA[i, h, w, c], (f, f))"
        else:
            hint = ("dA_prev[i, window, c] += mask * dA[i, h, w, c], with the mask of A_prev's "
                    "window in that channel")
        assert_same_array(name, case, got, want, "dA_prev", hint)
    published = {
        "max, of the course (f 2, stride 1)": [[0, 0], [5.05844394, -1.68282702], [0, 0]],
        "average, of the course (f 2, stride 1)": [[0.08485462, 0.2787552],
                                                   [1.26461098, -0.25749373],
                                                   [1.17975636, -0.53624893]]}
    for case, value in published.items():
        got = np.asarray(call(name, target, *cases[case])[0])
        if not np.allclose(got[1, 1], value, atol=1e-7):
            raise case_failed(name, case, "dA_prev[1, 1] differs from the course's values")

"""Public tests of Assignment 2, "Fast layers with im2col" (channels-first).

As in Assignment 1: small cases from simple to hard, each failure with a hint for
the mistake it points to, inputs from the checks' own generator, expected arrays
read from ``cnnbook/expected/assignment2.npz`` (generated from the solutions).
The cases cover stride > 1, pad > 0, pad = 0, non-square inputs and kernels and
a batch of one.
"""

from __future__ import annotations

import copy
import re

import numpy as np

from cnnbook import expected as stored
from cnnbook.checks import (NotImplementedYet, assert_same_array, assert_shape, call,
                             case_failed, close, construct, exercise, raising_frames, register_suite)

ASSIGNMENT = "assignment2"

exercise("im2col")
exercise("col2im")
for _layer in ("Convolution", "MaxPool", "AvgPool"):
    exercise(_layer, helpers=("im2col", "col2im"))


def rng(seed: int) -> np.random.RandomState:
    return np.random.RandomState(seed)


def out_shape(H: int, W: int, fh: int, fw: int, stride: int, pad: int) -> tuple[int, int]:
    return (H + 2 * pad - fh) // stride + 1, (W + 2 * pad - fw) // stride + 1


# Case inputs, shared with instructor/make_expected.py ---------------------------

def im2col_cases() -> dict[str, tuple]:
    """name -> (input_data, filter_h, filter_w, stride, pad)"""
    return {
        "3 x 3, 2 x 2 filter (the worked example)": (np.arange(9.0).reshape(1, 1, 3, 3), 2, 2, 1, 0),
        "2 channels, 2 x 3 filter": (rng(1).randn(1, 2, 4, 5), 2, 3, 1, 0),
        "stride 2, pad 1": (rng(2).randn(2, 3, 5, 4), 3, 3, 2, 1),
        "stride 3, pad 2, non-square": (rng(3).randn(2, 1, 6, 7), 2, 3, 3, 2),
    }


def col2im_cases() -> dict[str, tuple]:
    """name -> (col, input_shape, filter_h, filter_w, stride, pad, x); x is for the adjoint check."""
    cases = {}
    for k, (name, shape, fh, fw, stride, pad) in enumerate([
            ("windows do not overlap (stride 2)", (1, 2, 4, 4), 2, 2, 2, 0),
            ("windows overlap (stride 1)", (2, 2, 4, 5), 2, 3, 1, 0),
            ("stride 2, pad 1", (1, 3, 5, 4), 3, 3, 2, 1)]):
        r = rng(10 + k)
        oh, ow = out_shape(shape[2], shape[3], fh, fw, stride, pad)
        col = r.randn(shape[0] * oh * ow, shape[1] * fh * fw)
        cases[name] = (col, shape, fh, fw, stride, pad, r.randn(*shape))
    return cases


def convolution_cases() -> dict[str, tuple]:
    """name -> (x, W, b, stride, pad, dout)"""
    cases = {"1 filter (the worked example)":
             (np.arange(9.0).reshape(1, 1, 3, 3), np.array([[[[1.0, 0], [0, 1]]]]), np.array([0.5]), 1, 0)}
    r = rng(4)
    cases["stride 1, pad 0"] = (r.randn(2, 3, 4, 5), r.randn(2, 3, 2, 2), r.randn(2), 1, 0)
    cases["stride 2, pad 1, 3 x 2 filters"] = (r.randn(2, 3, 5, 6), r.randn(4, 3, 3, 2), r.randn(4), 2, 1)
    cases["batch 1, stride 3, pad 2"] = (r.randn(1, 2, 6, 5), r.randn(3, 2, 2, 3), r.randn(3), 3, 2)
    out = {}
    for name, (x, W, b, stride, pad) in cases.items():
        oh, ow = out_shape(x.shape[2], x.shape[3], W.shape[2], W.shape[3], stride, pad)
        out[name] = (x, W, b, stride, pad, r.randn(x.shape[0], W.shape[0], oh, ow))
    return out


def pool_cases() -> dict[str, tuple]:
    """name -> (x, pool_h, pool_w, stride, pad, dout); the same cases for MaxPool and AvgPool."""
    r = rng(5)
    cases = {
        "2 x 2, stride 2": (r.randn(2, 3, 4, 4), 2, 2, 2, 0),
        "3 x 2, stride 1, non-square": (r.randn(1, 2, 5, 4), 3, 2, 1, 0),
        # All negative, so a zero border would win a max.
        "2 x 2, stride 2, pad 1, all values negative": (-np.abs(r.randn(1, 2, 5, 3)) - 0.1, 2, 2, 2, 1),
        "batch 1, 3 x 3, stride 2, pad 1": (r.randn(1, 1, 5, 5), 3, 3, 2, 1),
    }
    out = {}
    for name, (x, ph, pw, stride, pad) in cases.items():
        oh, ow = out_shape(x.shape[2], x.shape[3], ph, pw, stride, pad)
        out[name] = (x, ph, pw, stride, pad, r.randn(x.shape[0], x.shape[1], oh, ow))
    return out


def expected(key: str) -> np.ndarray:
    return stored.load(ASSIGNMENT)[key]


# Checks ---------------------------------------------------------------------

STRIDE_HINT = ("move each window by the stride: keep every stride-th window, "
               "windows[:, :, ::stride, ::stride]; filter position (y, x) then reads "
               "img[:, :, y:y + stride*out_h:stride, x:x + stride*out_w:stride] of the padded input")
COL2IM_STRIDE_HINT = ("move each window's values back by the stride: block [:, y, x] goes into "
                      "img[:, :, y:y + stride*out_h:stride, x:x + stride*out_w:stride]")
CHANNELS_FIRST_HINT = ("the output must be channels-first: reshape to (N, out_h, out_w, FN), "
                       "then transpose(0, 3, 1, 2)")
BATCH_FIRST_HINT = ("the output must be (N, FN, out_h, out_w): reshape the (FN, N*out_h*out_w) "
                    "product to (FN, N, out_h, out_w), then transpose(1, 0, 2, 3)")


PAD_HINT = "pad the height and width first: np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)))"
DOUT_ORDER_HINT = ("rearrange dout in the order of the rows of col before using it: "
                   "dout.transpose(0, 2, 3, 1), then reshape")
EMPTY_CROP_HINT = ("with pad = 0, [pad:-pad] is [0:0], an empty slice: cut the padding off with "
                   "[pad:pad + H, pad:pad + W]")
DOUT_FILTER_ORDER_HINT = ("rearrange dout like out before its reshape, one row per filter: "
                          "dout.transpose(1, 0, 2, 3).reshape(FN, -1)")


def _probe(fn, *args):
    """fn(*args) on copies, or None if it raises: a second call of the learner's own code
    on a rearranged input, to tell which mistake it makes. No reference is computed."""
    try:
        with np.errstate(all="ignore"):
            return fn(*copy.deepcopy(args))
    except Exception:
        return None


def _probe_right(result, want) -> bool:
    """Whether a probe's result is the expected array (False for None or what is not numbers)."""
    try:
        return close(result, want)
    except (TypeError, ValueError):
        return False


def _pad_hw(x, pad, value=0.0):
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=value)


# The orders a learner puts dout in before a plain reshape: one row per window, as the rows
# of col (reshape(-1, K)), or one row per filter or channel (reshape(K, -1)).
ROW_ORDER, FILTER_ORDER = (0, 2, 3, 1), (1, 0, 2, 3)


def _dout_laid_out(dout, axes):
    """dout whose plain reshape gives what dout.transpose(axes) followed by it gives: the dout
    a learner who forgot that transpose needed."""
    return np.ascontiguousarray(dout.transpose(axes)).reshape(dout.shape)


def _frame_locals(err: BaseException, function: str) -> dict | None:
    """The variables of the innermost call of ``function`` in the traceback of err, if any."""
    calls = [f.locals for f in raising_frames(err) if f.function == function]
    return calls[-1] if calls else None


def _empty_crop(got, pad) -> bool:
    """A result cut with [pad:-pad] at pad = 0: no rows or no columns left."""
    shape = np.shape(got)
    return pad == 0 and len(shape) == 4 and 0 in shape[2:]


def _rows_ignoring_stride(x, fh, fw, stride, pad) -> set[int]:
    """im2col's row counts when the stride is ignored along the height, the width or both."""
    N, _, H, W = x.shape
    oh, ow = out_shape(H, W, fh, fw, stride, pad)
    oh1, ow1 = out_shape(H, W, fh, fw, 1, pad)
    return {N * oh1 * ow1, N * oh1 * ow, N * oh * ow1}


def _same_rows_other_order(got, want) -> bool:
    """Every row holds the right values, in another column order."""
    return got.shape == want.shape and np.allclose(np.sort(got, axis=1), np.sort(want, axis=1))


def _same_rows_other_row_order(got, want) -> bool:
    return got.shape == want.shape and np.allclose(got[np.lexsort(got.T[::-1])],
                                                   want[np.lexsort(want.T[::-1])])


@register_suite("im2col")
def _im2col(target):
    name = "im2col"
    for case, (x, fh, fw, stride, pad) in im2col_cases().items():
        want = expected(f"{name}/{case}")

        def pads_first(x=x, fh=fh, fw=fw, stride=stride, pad=pad, want=want) -> bool:
            # Right on the input padded beforehand: the padding is what is missing.
            return pad > 0 and _probe_right(_probe(target, _pad_hw(x, pad), fh, fw, stride, 0), want)

        def on_error(err):
            if pads_first():
                return PAD_HINT + ", then cut the windows from the padded img"
            if isinstance(err, ValueError) and "broadcast" in str(err):
                return ("each img[:, :, y:y_end:stride, x:x_end:stride] must have out_h x out_w cells: "
                        "y_end = y + stride*out_h, x_end = x + stride*out_w")
            return ""

        got, _ = call(name, target, x, fh, fw, stride, pad, case=case, on_error=on_error)
        oh, ow = out_shape(x.shape[2], x.shape[3], fh, fw, stride, pad)
        hint = (f"col has N*out_h*out_w = {want.shape[0]} rows and C*filter_h*filter_w = "
                f"{want.shape[1]} columns, with out_h = (H + 2*pad - filter_h)//stride + 1 = {oh}")
        if got is not None and np.shape(got) != want.shape and pads_first():
            hint = PAD_HINT
        elif np.shape(got) == want.shape[::-1]:
            hint = (f"col has one row per window, {want.shape}: an array with one row per "
                    "(c, y, x) becomes the matrix with .T")
        elif stride > 1 and np.ndim(got) == 2 and np.shape(got)[0] in _rows_ignoring_stride(x, fh, fw, stride, pad):
            hint = STRIDE_HINT
        assert_shape(name, case, got, want, "col", hint)
        got = np.asarray(got, dtype=float)
        if close(got, want):
            continue
        if _same_rows_other_order(got, want):
            hint = ("each row has the right values in the wrong order: columns go (c, y, x), the "
                    "order of W[f].ravel(), so bring the windows' axes into the order "
                    "(C, filter_h, filter_w, N, out_h, out_w) before the reshape (row by row: "
                    "(N, out_h, out_w, C, filter_h, filter_w))")
        elif _same_rows_other_row_order(got, want):
            hint = "the rows are in the wrong order: they go (n, i, j), example by example, row by row"
        elif pads_first():
            hint = PAD_HINT
        elif stride > 1:
            hint = STRIDE_HINT
        elif pad > 0:
            hint = PAD_HINT
        else:
            hint = ("row (n, i, j), column (c, y, x) of col is img[n, c, i*stride + y, j*stride + x] "
                    "of the padded input: bring the windows' axes into the order "
                    "(C, filter_h, filter_w, N, out_h, out_w), reshape(C*filter_h*filter_w, -1), then .T")
        assert_same_array(name, case, got, want, "col", hint)


@register_suite("col2im")
def _col2im(target):
    name = "col2im"
    for case, (col, shape, fh, fw, stride, pad, x) in col2im_cases().items():
        got, _ = call(name, target, col, shape, fh, fw, stride, pad, case=case,
                      on_error=_col2im_error_hint(shape, fh, fw, stride, pad))
        want = expected(f"{name}/{case}")
        hint = "img has the input's shape (N, C, H, W)"
        batch_second = (f"img has the input's shape {shape}: an image filled as "
                        "(C, N, H, W) needs transpose(1, 0, 2, 3) at the end")
        if got is not None and np.shape(got) == (shape[0], shape[1], shape[2] + 2 * pad, shape[3] + 2 * pad):
            hint = "cut the padding off at the end: img[:, :, pad:pad + H, pad:pad + W]"
        elif _empty_crop(got, pad):
            hint = EMPTY_CROP_HINT
        elif np.shape(got) == (shape[1], shape[0], shape[2], shape[3]):
            hint = batch_second
        assert_shape(name, case, got, want, "img", hint)
        got = np.asarray(got, dtype=float)
        if not close(got, want):
            if close(got.transpose(1, 0, 2, 3), want):
                hint = batch_second
            elif _probe_right(_probe(target, np.ascontiguousarray(col.T).reshape(col.shape), shape,
                                     fh, fw, stride, pad), want):
                hint = ("split col.T, not col, into (C, filter_h, filter_w, N, out_h, out_w): "
                        "the columns of col are the (c, y, x) positions")
            elif case == "windows overlap (stride 1)":
                hint = ("windows overlap here: add with +=, so that a value seen by several "
                        "windows collects the gradient of each")
            elif stride > 1 and pad == 0:
                hint = COL2IM_STRIDE_HINT
            else:
                hint = ("view col.T as (C, filter_h, filter_w, N, out_h, out_w) and add each block "
                        "[:, y, x] into img[:, :, y:y_end:stride, x:x_end:stride] of an image kept "
                        "as (C, N, H + 2*pad, W + 2*pad)")
            assert_same_array(name, case, got, want, "img", hint)
        # The adjoint property, with im2col(x) as stored: <im2col(x), col> = <x, col2im(col)>.
        lhs = float(np.sum(expected(f"{name}/{case}/im2col(x)") * col))
        rhs = float(np.sum(x * got))
        if not np.isclose(lhs, rhs, rtol=1e-9, atol=1e-9):
            raise case_failed(name, case, f"<im2col(x), col> = {lhs:.6g} but <x, col2im(col)> = "
                              f"{rhs:.6g}", "col2im must be the adjoint of im2col")


def _col2im_error_hint(shape, fh, fw, stride, pad):
    N, C, H, W = shape
    oh, ow = out_shape(H, W, fh, fw, stride, pad)

    def hint(err):
        if isinstance(err, ValueError) and "broadcast" in str(err):
            return (f"each block [:, y, x] of col.T is (C, N, out_h, out_w) = {(C, N, oh, ow)}: add it "
                    "into img[:, :, y:y_end:stride, x:x_end:stride], y_end = y + stride*out_h and "
                    "x_end = x + stride*out_w, of an image kept as (C, N, H + 2*pad, W + 2*pad) = "
                    f"{(C, N, H + 2 * pad, W + 2 * pad)}")
        if isinstance(err, ValueError) and "reshape" in str(err):
            return (f"out_h = (H + 2*pad - filter_h)//stride + 1 = {oh} and out_w = {ow}: col.T "
                    f"splits into (C, filter_h, filter_w, N, out_h, out_w) = {(C, fh, fw, N, oh, ow)}")
        return ""
    return hint


def _backward_grads(name, layer, dout, case, params, on_error=None):
    dx, _ = call(f"{name}.backward", layer.backward, dout, case=case, on_error=on_error)
    if dx is None:
        raise NotImplementedYet(f"{name}.backward is not implemented yet: dx is None "
                                "(backward must return dx)")
    grads = {"dx": dx}
    for p in params:
        value = getattr(layer, f"d{p}", None)
        if value is None:
            raise case_failed(name, case, f"backward did not set self.d{p}",
                              f"store the gradient of {p} in self.d{p}")
        grads[f"d{p}"] = value
    return grads


@register_suite("Convolution")
def _convolution(target):
    name = "Convolution"
    for case, (x, W, b, stride, pad, dout) in convolution_cases().items():
        W0, b0 = W.copy(), b.copy()
        layer = construct(name, target, W.copy(), b.copy(), stride, pad)
        out, _ = call(f"{name}.forward", layer.forward, x, case=case,
                      on_error=_conv_forward_error_hint(x, W, stride, pad))
        want = expected(f"{name}/{case}/out")
        N, FN, oh, ow = want.shape
        hint = "out has shape (N, FN, out_h, out_w)"
        if out is not None and np.shape(out) == (N, oh, ow, FN) != want.shape:
            hint = CHANNELS_FIRST_HINT
        elif out is not None and np.shape(out) == (FN, N, oh, ow) != want.shape:
            hint = BATCH_FIRST_HINT
        assert_shape(f"{name}.forward", case, out, want, "out", hint)
        out = np.asarray(out, dtype=float)
        if not close(out, want):
            if np.allclose(out.ravel(), want.transpose(0, 2, 3, 1).ravel()):
                hint = CHANNELS_FIRST_HINT
            elif np.allclose(out.ravel(), want.transpose(1, 0, 2, 3).ravel()):
                hint = BATCH_FIRST_HINT
            else:
                hint = ("out = W.reshape(FN, -1) @ col.T + b[:, None], one row per filter and one "
                        "column per window (or its transpose, col @ W.reshape(FN, -1).T + b)")
            assert_same_array(f"{name}.forward", case, out, want, "out", hint)
        grads = _backward_grads(name, layer, dout, case, ("W", "b"),
                                on_error=_conv_backward_error_hint(stride, pad))
        probed = {}
        for label, shape_of in (("dx", "x"), ("dW", "W"), ("db", "b")):
            want = expected(f"{name}/{case}/{label}")
            hint = f"{label} has the shape of {shape_of}, {want.shape}"
            if label == "dW" and np.size(grads[label]) == want.size:
                hint = f"dW has the shape of W, {want.shape}: (dout @ col).reshape(FN, C, FH, FW)"
            elif label == "db":
                hint = (f"db has the shape of b, {want.shape}: it sums dout over the batch and the "
                        "positions, one number per filter")
            assert_shape(f"{name}.backward", case, grads[label], want, label, hint)
            got = np.asarray(grads[label], dtype=float)
            if close(got, want):
                continue
            if not probed:
                # backward again, on each dout that a plain reshape, (-1, FN) or (FN, -1), puts in
                # the right order.
                for axes in (ROW_ORDER, FILTER_ORDER):
                    dx_probe = _probe(layer.backward, _dout_laid_out(dout, axes))
                    probed[axes] = {"dx": dx_probe, "dW": getattr(layer, "dW", None),
                                    "db": getattr(layer, "db", None)}
            if _probe_right(probed[ROW_ORDER][label], want):
                hint = DOUT_ORDER_HINT + "(-1, FN), as in forward"
            elif _probe_right(probed[FILTER_ORDER][label], want):
                hint = DOUT_FILTER_ORDER_HINT
            elif label == "db":
                hint = "db sums dout over the batch and the positions: one number per filter"
            elif label == "dW" and _same_rows_other_order(got.reshape(1, -1), want.reshape(1, -1)):
                hint = ("dW = dout @ col, dout being (FN, N*out_h*out_w), reshaped to "
                        "(FN, C, FH, FW): check the transpose")
            elif label == "dW":
                hint = DOUT_FILTER_ORDER_HINT
            else:
                hint = ("dcol = (W.reshape(FN, -1).T @ dout).T, with col's shape "
                        "(N*out_h*out_w, C*FH*FW); then dx = col2im(dcol, x.shape, FH, FW, stride, pad)")
            assert_same_array(f"{name}.backward", case, got, want, label, hint)
        if not (np.array_equal(layer.W, W0) and np.array_equal(layer.b, b0)):
            raise case_failed(name, case, "forward or backward changed the layer's W or b",
                              "the gradients go to self.dW and self.db; W and b stay as they are")


SHAPES_HINT = ("col is (N*out_h*out_w, C*FH*FW), one row per window, and W.reshape(FN, -1) is "
               "(FN, C*FH*FW): out = W.reshape(FN, -1) @ col.T")


def _conv_forward_error_hint(x, W, stride, pad):
    N, _, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    oh, ow = out_shape(H, Wd, FH, FW, stride, pad)

    def hint(err):
        text = str(err)
        if isinstance(err, ValueError) and "broadcast" in text:
            return ("b holds one value per filter: add b[:, None] to the (FN, N*out_h*out_w) product, "
                    "one value per row (or b to the (N*out_h*out_w, FN) one)")
        if isinstance(err, ValueError) and "reshape" in text:
            return (f"out has N*FN*out_h*out_w = {N * FN * oh * ow} values, with out_h = "
                    f"(H + 2*pad - FH)//stride + 1 = {oh} and out_w = {ow}: check them, and pass "
                    "the layer's stride and pad to im2col")
        if isinstance(err, ValueError) and "matmul" in text:
            return SHAPES_HINT
        return ""
    return hint


def _conv_backward_error_hint(stride, pad):
    def hint(err):
        inside = _frame_locals(err, "col2im")
        if inside is not None and (inside.get("stride"), inside.get("pad")) != (stride, pad):
            return ("pass the layer's stride and pad to col2im, as forward does to im2col: "
                    "col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)")
        if inside is not None:
            return ("dcol has col's shape, (N*out_h*out_w, C*FH*FW), before it goes to col2im: "
                    "dcol = (W.reshape(FN, -1).T @ dout).T")
        if isinstance(err, ValueError) and "matmul" in str(err):
            return ("in backward dout is (FN, N*out_h*out_w) and col (N*out_h*out_w, C*FH*FW): "
                    "dW = dout @ col and dcol = (W.reshape(FN, -1).T @ dout).T")
        if isinstance(err, (ValueError, IndexError)):
            # No call of col2im among the frames (it was not reached): both causes.
            return ("col2im takes dcol in col's shape, (N*out_h*out_w, C*FH*FW), and the layer's "
                    "stride and pad: dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad) "
                    "with dcol = (W.reshape(FN, -1).T @ dout).T")
        return ""
    return hint


def _scale(got, want) -> float | None:
    """r if got is r times want (r neither 0 nor 1), else None."""
    with np.errstate(all="ignore"):
        r = float(np.median(got / want))
        if np.isfinite(r) and r != 0 and not np.isclose(r, 1.0) and np.allclose(got, r * want):
            return r
    return None


def _pool_forward_error_hint(x, ph, pw, stride, pad, mode):
    """A reshape of the pooled values that fails: too many values per window, or a wrong out_h."""
    N, C = x.shape[:2]
    oh, ow = out_shape(x.shape[2], x.shape[3], ph, pw, stride, pad)

    def hint(err):
        found = re.search(r"cannot reshape array of size (\d+)", str(err))
        if not (isinstance(err, ValueError) and found):
            return ""
        size = int(found.group(1))
        if size != N * C * oh * ow and size % (N * oh * ow) == 0:
            return (f"pool each channel's window on its own: the {'max' if mode == 'max' else 'mean'} "
                    "over axis=1 of col.T.reshape(C, pool_h * pool_w, -1), then reshape to "
                    "(C, N, out_h, out_w) (row by row: col.reshape(-1, pool_h * pool_w) before the "
                    f"{'max' if mode == 'max' else 'mean'} over axis=1, then reshape to (N, out_h, out_w, C))")
        return (f"out has N*C*out_h*out_w = {N * C * oh * ow} values, with "
                f"out_h = (H + 2*pad - pool_h)//stride + 1 = {oh}")
    return hint


def _pool_suite(name: str, mode: str):
    def suite(target):
        for case, (x, ph, pw, stride, pad, dout) in pool_cases().items():
            layer = construct(name, target, ph, pw, stride, pad)
            out, _ = call(f"{name}.forward", layer.forward, x, case=case,
                          on_error=_pool_forward_error_hint(x, ph, pw, stride, pad, mode))
            want = expected(f"{name}/{case}/out")
            assert_shape(f"{name}.forward", case, out, want, "out",
                         "out has shape (N, C, out_h, out_w), out_h = (H + 2*pad - pool_h)//stride + 1")
            out = np.asarray(out, dtype=float)
            if not close(out, want):
                ratio = _scale(out, want)
                if out.shape[1] > 1 and np.allclose(out, out[:, :1]):
                    hint = ("every channel got the same value: pool each channel's window on its "
                            "own, the max over axis=1 of col.T.reshape(C, pool_h * pool_w, -1) "
                            "(row by row: col.reshape(-1, pool_h * pool_w) before the max)")
                elif mode == "max" and pad and np.any(out == 0) and not np.any(want == 0):
                    hint = ("the zero padding won the max: pad x with -np.inf yourself "
                            "(np.pad(..., constant_values=-np.inf)) and call im2col with pad=0")
                elif mode == "average" and ratio is not None:
                    hint = (f"each average is {ratio:.4g} times the right one: divide by the full "
                            "window area pool_h * pool_w")
                elif np.allclose(out.ravel(), want.transpose(0, 2, 3, 1).ravel()):
                    hint = CHANNELS_FIRST_HINT.replace("FN", "C")
                elif np.allclose(out.ravel(), want.transpose(1, 0, 2, 3).ravel()):
                    hint = BATCH_FIRST_HINT.replace("FN", "C")
                elif mode == "average" and pad:
                    hint = ("the zero padding counts in the average: pad x with zeros (im2col's pad "
                            "does) and divide every window by pool_h * pool_w, at the border too")
                elif mode == "max" and pad:
                    hint = ("pad x with -np.inf (np.pad(..., constant_values=-np.inf)), call im2col "
                            "with pad=0 and take the max over axis=1 of col.T.reshape(C, pool_h * pool_w, -1)")
                else:
                    hint = (f"take the {'max' if mode == 'max' else 'mean'} over axis=1 of "
                            "col.T.reshape(C, pool_h * pool_w, -1) (row by row: of each row of "
                            "col.reshape(-1, pool_h * pool_w))")
                assert_same_array(f"{name}.forward", case, out, want, "out", hint)
            dx = _backward_grads(name, layer, dout, case, ())["dx"]
            want = expected(f"{name}/{case}/dx")
            hint = "dx has the shape of x"
            if np.shape(dx) == (x.shape[0], x.shape[1], x.shape[2] + 2 * pad, x.shape[3] + 2 * pad) != x.shape:
                hint = "cut the padding off at the end: dx = dx_pad[:, :, pad:pad + H, pad:pad + W]"
            elif _empty_crop(dx, pad):
                hint = EMPTY_CROP_HINT
            assert_shape(f"{name}.backward", case, dx, want, "dx", hint)
            dx = np.asarray(dx, dtype=float)
            if close(dx, want):
                continue
            share = _scale(dx, want)
            if _probe_right(_probe(layer.backward, _dout_laid_out(dout, ROW_ORDER)), want):
                hint = DOUT_ORDER_HINT + "(-1, 1) so that it follows the rows of col"
            elif _probe_right(_probe(layer.backward, _dout_laid_out(dout, FILTER_ORDER)), want):
                hint = ("rearrange dout like out before its reshape, one row per channel: "
                        "dout.transpose(1, 0, 2, 3).reshape(C, 1, -1)")
            elif mode == "average" and share is not None:
                hint = (f"the windows handed on {share:.4g} times their gradient: each value of a "
                        "window gets dout / (pool_h * pool_w)")
            elif mode == "average":
                hint = ("repeat dout / (pool_h * pool_w), arranged (C, 1, N*out_h*out_w), "
                        "pool_h * pool_w times along axis=1, reshape(C * pool_h * pool_w, -1).T to "
                        "col's shape and fold it back with col2im")
            else:
                hint = ("each gradient goes to its window's maximum only: the mask "
                        "windows == out[:, None] kept from forward times dout arranged "
                        "(C, 1, N*out_h*out_w), reshape(C * pool_h * pool_w, -1).T to col's shape "
                        "(row by row: dmax[np.arange(arg_max.size), arg_max] = dout in the rows' "
                        "order), then col2im into the padded shape and cut the padding off")
            assert_same_array(f"{name}.backward", case, dx, want, "dx", hint)
    return suite


register_suite("MaxPool")(_pool_suite("MaxPool", "max"))
register_suite("AvgPool")(_pool_suite("AvgPool", "average"))

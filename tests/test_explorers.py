"""The explorers without a browser: their state (what is highlighted, the formulas, the
messages), their drawing, how they treat a learner's function, and their widgets."""

from __future__ import annotations

import inspect
import itertools
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from cnnbook import drawing
from cnnbook.drawing import DIFF, EMPHASIS, HATCH, Panel, figure, panel_svg
from cnnbook.explorers import (_core, convolution, explore_convolution, explore_gradients,
                               explore_padding, explore_pooling, gradients, padding, pooling)
from cnnbook.explorers.convolution import conv_state
from cnnbook.explorers.gradients import grad_state
from cnnbook.explorers.padding import padding_state
from cnnbook.explorers.pooling import parse_matrix, pool_state
from cnnbook.explorers import arithmetic, network, unfolding
from cnnbook.explorers.arithmetic import arithmetic_state
from cnnbook.explorers.network import network_state
from cnnbook.explorers.unfolding import im2col_state
from instructor import explorer_oracles, solutions

GRADED = ["zero_pad", "conv_single_step", "conv_forward", "pool_forward", "conv_backward",
          "create_mask_from_window", "distribute_value", "pool_backward", "im2col", "col2im",
          "Convolution", "MaxPool", "AvgPool", "Relu", "Dense", "SoftmaxCrossEntropy", "SimpleCNN",
          "sgd_step"]
X3 = np.arange(1, 10).reshape(3, 3)
K2 = np.array([[1, 0], [0, 1]])


# Learner functions, right and wrong ------------------------------------------------------

def good_zero_pad(X, pad):
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))


def good_conv_forward(A_prev, W, b, hparameters):
    s, p, f = hparameters["stride"], hparameters["pad"], W.shape[0]
    A = good_zero_pad(A_prev, p)
    m = A_prev.shape[0]
    n_h, n_w = (A_prev.shape[1] + 2 * p - f) // s + 1, (A_prev.shape[2] + 2 * p - f) // s + 1
    Z = np.zeros((m, n_h, n_w, W.shape[3]))
    for h in range(n_h):
        for w in range(n_w):
            for c in range(W.shape[3]):
                Z[:, h, w, c] = np.sum(A[:, h * s:h * s + f, w * s:w * s + f, :] * W[..., c],
                                       axis=(1, 2, 3)) + b[0, 0, 0, c]
    return Z, (A_prev, W, b, hparameters)


def good_pool_forward(A_prev, hparameters, mode="max"):
    f, s = hparameters["f"], hparameters["stride"]
    n_h, n_w = (A_prev.shape[1] - f) // s + 1, (A_prev.shape[2] - f) // s + 1
    A = np.zeros((A_prev.shape[0], n_h, n_w, A_prev.shape[3]))
    for h in range(n_h):
        for w in range(n_w):
            win = A_prev[:, h * s:h * s + f, w * s:w * s + f, :]
            A[:, h, w, :] = win.max(axis=(1, 2)) if mode == "max" else win.mean(axis=(1, 2))
    return A, (A_prev, hparameters)


def pool_backward_routing(first_only):
    def pool_back(dA, cache, mode="max"):
        A_prev, hp = cache
        f, s = hp["f"], hp["stride"]
        d = np.zeros(A_prev.shape)
        for h in range(dA.shape[1]):
            for w in range(dA.shape[2]):
                win = A_prev[0, h * s:h * s + f, w * s:w * s + f, 0]
                if mode == "average":
                    d[0, h * s:h * s + f, w * s:w * s + f, 0] += dA[0, h, w, 0] / (f * f)
                elif first_only:
                    r, c = np.unravel_index(np.argmax(win), win.shape)
                    d[0, h * s + r, w * s + c, 0] += dA[0, h, w, 0]
                else:
                    d[0, h * s:h * s + f, w * s:w * s + f, 0] += (win == win.max()) * dA[0, h, w, 0]
        return d
    return pool_back


def good_conv_backward(dZ, cache):
    A_prev, W, b, hp = cache
    s, p, f = hp["stride"], hp["pad"], W.shape[0]
    A = good_zero_pad(A_prev, p)
    dA = np.zeros(A.shape)
    dW = np.zeros(W.shape)
    for h in range(dZ.shape[1]):
        for w in range(dZ.shape[2]):
            for c in range(dZ.shape[3]):
                dA[0, h * s:h * s + f, w * s:w * s + f, :] += W[..., c] * dZ[0, h, w, c]
                dW[..., c] += A[0, h * s:h * s + f, w * s:w * s + f, :] * dZ[0, h, w, c]
    db = dZ.sum(axis=(0, 1, 2)).reshape(1, 1, 1, -1)
    return dA[:, p:p + A_prev.shape[1], p:p + A_prev.shape[2], :], dW, db


def stub(*args):
    raise NotImplementedError()


def returns_none(*args):
    return None


# The package keeps no solution under an exercise's name ------------------------------------

def test_no_function_is_named_or_shaped_like_a_graded_exercise():
    modules = [_core, padding, convolution, pooling, gradients, drawing, unfolding, arithmetic,
               network]
    for module in modules:
        for name, obj in vars(module).items():
            if inspect.isfunction(obj) or inspect.isclass(obj):
                assert name not in GRADED, f"{module.__name__}.{name}"
    # The explore_* functions take the learner's functions, never compute a graded result.
    assert list(inspect.signature(explore_pooling).parameters) == ["pool_forward", "pool_backward"]


# Padding ---------------------------------------------------------------------------------

def test_padding_marks_the_border_and_writes_the_shapes():
    s = padding_state(2)
    assert s.expected.shape == (7, 8)
    assert len(s.border) == 7 * 8 - 3 * 4
    assert (0, 0) in s.border and (2, 2) not in s.border and (4, 5) not in s.border
    assert np.array_equal(s.expected[2:5, 2:6], padding.SMALL)
    assert "(1, 3, 4, 1)" in s.shapes and "(1, 7, 8, 1)" in s.shapes
    assert "height 3 + 2·2 = 7" in s.shapes and "width 4 + 2·2 = 8" in s.shapes
    assert padding_state(0).border == set()


def test_padding_with_a_correct_learner_function():
    s = padding_state(3, good_zero_pad, picture=padding.photo())
    assert s.grid.status == "matches" and s.grid.diffs == {}
    assert s.photo_message[0] == "ok" and s.photo_value is None
    panels, arrows = padding.panels(s)
    assert [p.title for p in panels][-1] == "your zero_pad" and arrows[-1] is None
    html = padding.render(s)
    assert "your zero_pad gives the expected padded array" in html


def test_padding_frames_what_a_wrong_border_differs_in():
    def ones_border(X, pad):
        return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), constant_values=1)

    s = padding_state(1, ones_border, picture=padding.photo())
    assert set(s.grid.diffs) == s.border and s.grid.diffs[(0, 0)] == "0"
    assert s.photo_message[0] == "bad" and s.photo_value is not None
    html = padding.render(s)
    assert f"stroke='{DIFF}'" in html and "differs from the expected padded array at 18 of 30 cells" in html
    assert html.count("<image") == 3  # the photograph, padded, and the learner's version


@pytest.mark.parametrize("fn, expected", [
    (stub, "zero_pad is not implemented yet: the expected result is shown alone."),
    (returns_none, "zero_pad returned None: is its return statement missing?"),
    (lambda X, pad: np.pad(X, pad), "zero_pad: the result has shape (3, 5, 6, 3); expected (1, 5, 6, 1)."),
    (lambda X, pad: X[5], "zero_pad raised IndexError: index 5 is out of bounds"),
    (lambda X, pad: "padded", "zero_pad: the result holds <U6 values, not numbers."),
])
def test_padding_explains_a_learner_function_that_fails(fn, expected):
    s = padding_state(1, fn, picture=padding.photo())
    assert s.grid.status == "failed" and s.grid.value is None
    assert s.grid.message.startswith(expected)
    html = padding.render(s)
    assert "zero_pad(X, 1): 5 × 6" in html  # the expected picture is still there
    assert "Traceback" not in html and len(padding.panels(s)[0]) == 2


def test_a_learner_error_names_the_learner_line_and_is_escaped():
    def bad(X, pad):
        raise ValueError("<b>no</b>")

    s = padding_state(1, bad)
    assert re.search(r"raised ValueError: <b>no</b> \(in bad, line \d+: `raise ValueError", s.grid.message)
    html = padding.render(s)
    assert "&lt;b&gt;no&lt;/b&gt;" in html and "<b>no</b>" not in html


def test_a_stub_helper_is_blamed_not_the_function_that_calls_it():
    def conv_forward(A_prev, W, b, hparameters):
        return stub(A_prev), None

    s = conv_state(conv_forward=conv_forward)
    assert s.forward.message.startswith("conv_forward calls stub, which is not implemented yet")


# Convolution -----------------------------------------------------------------------------

def test_convolution_window_and_output_cell():
    s = conv_state(5, 3, 1, 1, 1, 2)
    assert s.n_out == 5 and s.z.shape == (5, 5) and s.unreached == []
    assert s.window == (1, 2)
    assert s.window_cells == {(r, c) for r in (1, 2, 3) for c in (2, 3, 4)}
    assert s.formula.endswith("= ⌊(5 + 2·1 − 3) / 1⌋ + 1 = 4/1 + 1 = 4 + 1 = 5") and s.note == ""
    window = s.padded[1:4, 2:5]
    assert s.value == pytest.approx(np.sum(window * s.w) + s.b) == s.z[1, 2]


def test_convolution_single_step_numbers():
    s = conv_state(pad=0, stride=1, row=0, col=1, x=X3, w=K2, b=0)
    assert s.step.startswith("Z[0, 1] = sum(window × W) + b = 2·1 + 3·0 + 5·0 + 6·1 + 0 = 8")
    assert np.array_equal(s.z, [[6, 8], [12, 14]])
    big = conv_state(6, 4, 0, 1)
    assert "(the sum of 16 products)" in big.step


def test_convolution_floor_marks_unreached_rows_and_explains():
    s = conv_state(5, 2, 1, 2, 0, 0)  # padded 7, (5 + 2 - 2) = 5 is odd
    assert s.n_out == 3 and s.unreached == [6]
    assert "⌊5/2⌋ + 1 = ⌊2.5⌋ + 1 = 2 + 1 = 3" in s.formula
    assert "5 is not a multiple of the stride 2" in s.note
    assert "one more step would start at 6 and need index 7, past the last one, 6" in s.note
    assert "row and column 6 is never reached (hatched)" in s.note
    panel = convolution.panels(s)[0][0]
    assert panel.hatch == {(r, c) for r in range(7) for c in range(7) if 6 in (r, c)}


def test_convolution_stride_larger_than_f_skips_rows_between_windows():
    s = conv_state(6, 2, 0, 3)
    assert s.unreached == [2, 5]
    assert "jumps over row and column 2" in s.note and "row and column 5 is never reached" in s.note
    svg = figure(*convolution.panels(s))
    assert svg.count(f"stroke='{HATCH}'") == 3 * (6 * 6 - 4 * 4)


def test_convolution_impossible_settings_give_a_message():
    calls = []
    s = conv_state(3, 5, 0, 1, conv_forward=lambda *a: calls.append(a))
    assert s.n_out == 0 and s.z is None and s.window is None and calls == []
    assert s.error.startswith("f = 5 is larger than the padded input (3 + 2·0 = 3)")
    assert "no window fits" in s.formula
    html = convolution.render(s)
    assert "cnnbook-msg-error" in html and "Traceback" not in html
    assert conv_state(3, 5, 1, 1).error == ""  # pad 1 makes room


def test_convolution_clamps_the_output_position():
    s = conv_state(5, 3, 0, 1, 9, -3)
    assert (s.row, s.col) == (2, 0) and s.window == (2, 0)


def test_convolution_compares_the_learner_function():
    assert conv_state(6, 3, 1, 2, conv_forward=good_conv_forward).forward.status == "matches"

    def bias_in_sum(A_prev, W, b, hp):
        Z, cache = good_conv_forward(A_prev, W, b, hp)
        return Z + b * (W.shape[0] ** 2 - 1), cache

    s = conv_state(4, 2, 0, 1, 0, 0, conv_forward=bias_in_sum)
    assert s.forward.status == "differs" and len(s.forward.diffs) == 9
    assert s.forward.diffs[(0, 0)] == _core.fmt(s.z[0, 0])
    assert "at 9 of 9 cells" in s.forward.message
    only_z = conv_state(conv_forward=lambda *a: good_conv_forward(*a)[0])
    assert "expected the pair (Z, cache)" in only_z.forward.message


def test_an_explorer_under_a_failed_check_shows_no_tick():
    """A conv_forward that ignores the stride is right at the explorer's default stride 1:
    the line says that its check fails, and on which case, instead of a tick."""
    def ignores_stride(A_prev, W, b, hp):
        Z, _ = good_conv_forward(A_prev, W, b, {**hp, "stride": 1})
        return Z, (A_prev, W, b, hp)

    s = conv_state(conv_forward=ignores_stride)
    assert s.forward.status == "matches" and s.forward.failure
    lines = _core.check_lines(s.forward, "output Z")
    assert [kind for kind, _ in lines] == ["error"]
    assert "fails its check above: conv_forward:" in lines[0][1] and "stride" in lines[0][1]
    assert "✓" not in convolution.render(s)
    good = conv_state(conv_forward=good_conv_forward)
    assert _core.check_lines(good.forward, "output Z")[0][0] == "ok"
    assert "✓" in convolution.render(good)


def test_convolution_checks_the_learner_single_step():
    def right(a, W, b):
        return np.sum(a * W) + b.item()

    assert conv_state(conv_single_step=right).single[0] == "ok"
    kind, text = conv_state(conv_single_step=lambda a, W, b: np.sum(a * W + b)).single
    assert kind == "bad" and "added to each of the 9 products" in text
    # Right numbers, but an array of shape (1, 1, 1): its check fails, so no "ok" here.
    kind, text = conv_state(conv_single_step=lambda a, W, b: np.sum(a * W) + b).single
    assert kind == "error" and "b.item()" in text and "fails its check above" in text
    assert "not implemented yet" in conv_state(conv_single_step=stub).single[1]


# Pooling ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, problem", [
    ("1 2; 3 4", ""), ("[[1, 2], [3, 4]]", ""), ("1 2\n3 4", ""),
    ("1 2; 3", "the rows have different lengths (2, 1)."),
    ("1 x; 3 4", "could not read the matrix: 'x' is not a number."),
    (";", "type some numbers"),
    ("; ".join(["1 " * 9] * 9), "at most 8 rows and 8 columns"),
])
def test_pooling_reads_a_typed_matrix(text, problem):
    x, message = parse_matrix(text)
    if problem:
        assert x is None and message.startswith(problem)
    else:
        assert message == "" and np.array_equal(x, [[1, 2], [3, 4]])


def test_max_pooling_masks_and_routing():
    s = pool_state(pooling.EXAMPLE, 2, 2, "max", 0, 1)
    assert np.array_equal(s.a, [[6, 5], [8, 4]]) and s.ties == []
    assert s.maxima == {(0, 0): [(1, 1)], (0, 1): [(1, 2)], (1, 0): [(3, 1)], (1, 1): [(3, 2)]}
    assert s.window == (0, 2) and s.window_cells == {(0, 2), (0, 3), (1, 2), (1, 3)}
    assert np.array_equal(s.local(), [[0, 0], [2, 0]])
    expected = np.zeros((4, 4))
    expected[1, 1], expected[1, 2], expected[3, 1], expected[3, 2] = 1, 2, 3, 4
    assert np.array_equal(s.dprev, expected)
    assert "Its maximum is 5, at (1, 2)" in s.window_text and s.tie_text == "" and s.overlap_text == ""
    assert pooling.forward_panels(s)[0][0].bold == {(1, 1), (1, 2), (3, 1), (3, 2)}


def test_average_pooling_shares():
    s = pool_state(pooling.EXAMPLE, 2, 2, "average", 1, 1)
    assert np.array_equal(s.a, [[3.5, 2], [4.5, 2.25]])
    assert np.array_equal(s.local(), np.full((2, 2), 1.0))  # dA[1, 1] = 4, shared by 4
    assert "4 / 4 = 1 to each of its 4 cells" in s.window_text


def test_ties_are_shown_and_both_conventions_accepted():
    s = pool_state(pooling.TIES, 2, 1, "max", 0, 0)
    assert (0, 0) in s.ties and s.maxima[(0, 0)] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert "appears 4 times" in s.tie_text and "argmax" in s.tie_text and "PyTorch" in s.tie_text
    every = pool_state(pooling.TIES, 2, 1, "max", pool_backward=pool_backward_routing(False))
    first = pool_state(pooling.TIES, 2, 1, "max", pool_backward=pool_backward_routing(True))
    assert every.backward.status == first.backward.status == "matches"
    assert every.backward.note == "" and "first maximum" in first.backward.note
    titles = re.findall(r">\((\d, \d)\) tie<", pooling.miniatures(s))
    assert titles and set(titles) == {f"{h}, {v}" for h, v in s.ties}


def test_overlapping_windows_add_up():
    s = pool_state(pooling.EXAMPLE, 2, 1, "max", 1, 1)
    # A_prev[1, 1] = 6 is the maximum of three of the four windows that cover it.
    assert s.sent[(1, 1)] == [(0, 0, 1.0), (0, 1, 2.0), (1, 1, 5.0)]
    assert s.dprev[1, 1] == 8
    assert "windows overlap" in s.overlap_text and "dA_prev[1, 1] = 1 + 2 + 5 = 8" in s.overlap_text


def test_pooling_unreached_and_impossible():
    s = pool_state(np.arange(25).reshape(5, 5), 2, 2)
    assert s.unreached_rows == [4] and s.unreached_cols == [4]
    assert "never reached" in s.note
    wide = pool_state(np.arange(12).reshape(3, 4), 2, 2)
    assert wide.unreached_rows == [2] and wide.unreached_cols == []
    assert "row 2 is never reached" in wide.note
    bad = pool_state(pooling.EXAMPLE, 5, 1)
    assert bad.a is None and bad.error.startswith("f = 5 is larger than the matrix (4 × 4)")
    assert "cnnbook-msg-error" in pooling.render(bad)


def test_pooling_compares_the_learner_functions():
    s = pool_state(pooling.EXAMPLE, 3, 1, "average", pool_forward=good_pool_forward,
                   pool_backward=pool_backward_routing(False))
    assert s.forward.status == s.backward.status == "matches"
    wrong = pool_state(pooling.EXAMPLE, 2, 2, "max",
                       pool_forward=lambda A, hp, mode: good_pool_forward(A, hp, "average"),
                       pool_backward=stub)
    assert wrong.forward.status == "differs" and set(wrong.forward.diffs) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert wrong.backward.message.startswith("pool_backward is not implemented yet")
    html = pooling.render(wrong)
    assert "your pool_forward" in html and "your pool_backward" not in html


# Gradients -------------------------------------------------------------------------------

def numeric_gradient(x, w, dz, stride, pad, wrt):
    """d(sum(Z · dZ)) by central differences: an independent check of the routing."""
    def loss(x, w):
        return float(np.sum(explorer_oracles.slide(np.pad(x, pad), w, 0.0, stride)[0] * dz))
    target = x if wrt == "x" else w
    grad = np.zeros(target.shape)
    for idx in np.ndindex(target.shape):
        up, down = target.copy(), target.copy()
        up[idx] += 0.5
        down[idx] -= 0.5
        grad[idx] = loss(up, w) - loss(down, w) if wrt == "x" else loss(x, up) - loss(x, down)
    return grad


@pytest.mark.parametrize("n, f, pad, stride", [(4, 2, 0, 1), (5, 3, 1, 2), (5, 2, 0, 2)])
def test_conv_gradients_match_a_numeric_gradient(n, f, pad, stride):
    s = grad_state("conv", "input", n, f, pad, stride)
    assert np.allclose(s.dprev, numeric_gradient(s.x, s.w, s.dz, stride, pad, "x"))
    assert np.allclose(s.dw, numeric_gradient(s.x, s.w, s.dz, stride, pad, "w"))
    assert s.db == s.dz.sum()


def test_input_cell_routes_through_the_weights_that_met_it():
    s = grad_state("conv", "input", 4, 2, 0, 1, 1, 1)
    assert s.covering == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert [r[2] for r in s.routes] == [(1, 1), (1, 0), (0, 1), (0, 0)]
    assert sum(r[3] for r in s.routes) == pytest.approx(s.dprev[1, 1])
    assert s.sum_text.startswith("dA_prev[1, 1] = W[1, 1]·dZ[0, 0] + W[1, 0]·dZ[0, 1] + W[0, 1]·dZ[1, 0]")
    geometry = gradients.panels(s)[0][0][0]
    assert len([b for b in geometry.boxes if b[4] == gradients.COVER]) == 4


def test_padded_input_cell_and_a_cell_no_window_reaches():
    s = grad_state("conv", "input", 4, 3, 1, 1, 0, 0)
    assert s.chosen == (1, 1) and (0, 0) in s.covering
    lone = grad_state("conv", "input", 5, 2, 0, 2, 4, 4)
    assert lone.unreached == [4] and lone.routes == [] and lone.dprev[4, 4] == 0
    assert "no window covers A_prev[4, 4] (hatched)" in lone.sum_text


def test_weight_gradient_sums_the_cells_it_met():
    s = grad_state("conv", "weight", 4, 2, 0, 2, 1, 0)
    assert [cell for _, _, cell, _, _ in s.sources] == [(1, 0), (1, 2), (3, 0), (3, 2)]
    assert sum(a * d for *_, a, d in s.sources) == pytest.approx(s.dw[1, 0])
    assert s.sum_text.startswith("dW[1, 0] = a[1, 0]·dZ[0, 0] + a[1, 2]·dZ[0, 1]")
    assert grad_state("conv", "weight", row=7, col=7, f=2).chosen == (1, 1)


def test_pooling_gradient_routes_to_the_maximum_only():
    x = np.array([[1, 9, 2], [3, 4, 5], [0, 6, 7]])
    s = grad_state("max", "weight", row=0, col=1, f=2, stride=1, pad=2, x=x)
    assert s.target == "input" and s.pad == 0  # pooling has neither weights nor padding here
    assert s.covering == [(0, 0), (0, 1)] and [r[3] for r in s.routes] == [1.0, 2.0]
    assert s.dprev[0, 1] == 3 and "dA_prev[0, 1] = 1 + 2 = 3" in s.sum_text
    avg = grad_state("average", "input", row=1, col=1, f=2, stride=1, x=x)
    assert avg.dprev[1, 1] == pytest.approx((1 + 2 + 3 + 4) / 4)


def test_gradients_compare_the_learner_functions():
    right = grad_state("conv", "input", 5, 3, 1, 2, conv_backward=good_conv_backward)
    assert right.learner.status == "matches"

    def wrong_db(dZ, cache):
        dA, dW, db = good_conv_backward(dZ, cache)
        return dA, dW, db * 2

    s = grad_state("conv", "weight", conv_backward=wrong_db)
    assert s.learner.status == "matches" and any("db = " in t for _, t in s.extra)
    two = grad_state("conv", conv_backward=lambda dZ, cache: good_conv_backward(dZ, cache)[:2])
    assert "expected (dA_prev, dW, db)" in two.learner.message
    pool = grad_state("max", x=pooling.TIES[:4, :4], f=2, stride=1,
                      pool_backward=pool_backward_routing(True))
    assert pool.learner.status == "matches" and "first maximum" in pool.learner.note
    assert grad_state("max", pool_backward=returns_none).learner.message.endswith("return statement missing?")


def test_gradient_impossible_settings():
    s = grad_state("conv", "input", 2, 4, 0, 1)
    assert s.error.startswith("f = 4 is larger than the input (2 × 2)") and s.dz is None
    html = gradients.render(s)
    assert "cnnbook-msg-error" in html and "Traceback" not in html


# Drawing ---------------------------------------------------------------------------------

def test_panel_draws_hatching_differences_boxes_and_indices():
    p = Panel(np.array([[1, 2], [3, np.nan]]), "grid", hatch={(0, 1)}, diffs={(1, 0): "7"},
              boxes=[(0, 0, 2, 2, EMPHASIS), (0, 0, 1, 1, "#0072b2", 4)], axes=True)
    svg = panel_svg(p, 0, 40)
    assert svg.count(f"stroke='{HATCH}'") == 3
    assert "stroke-dasharray='4 2'" in svg and "<title>expected 7</title>" in svg
    assert f"width='68' height='68' fill='none' stroke='{EMPHASIS}'" in svg
    assert "width='26' height='26' fill='none' stroke='#0072b2'" in svg  # inset 4 on each side
    assert ">nan<" not in svg and svg.count("<text") == 3 + 4 + 1 + 1  # values, indices, ≠, title
    assert len(re.findall(r"fill='#666'>[01]</text>", svg)) == 4  # row and column indices


def test_figure_is_well_formed_without_ids_and_none_leaves_a_gap():
    a, b = Panel(np.ones((2, 2)), "a"), Panel(np.ones((2, 2)), "b")
    joined, apart = figure([a, b], ["go"]), figure([a, b], [None])
    for svg in (joined, apart):
        ET.fromstring(svg)
        assert " id=" not in svg and "url(#" not in svg
    assert "<path" in joined and "<path" not in apart and ">go<" in joined
    assert float(ET.fromstring(apart).get("width")) < float(ET.fromstring(joined).get("width"))


# The widgets, without a browser ---------------------------------------------------------

def test_convolution_widget_redraws_and_fits_its_sliders():
    box = explore_convolution()
    c, view = box.controls, box.view
    before = view.value
    c["col"].value = 2
    assert view.value != before and "Z[0, 2] =" in view.value
    c["stride"].value = 2  # n 5, f 3, pad 1: 3 positions
    assert c["row"].max == 2 and c["col"].value == 2
    c["f"].value = 5
    c["pad"].value = 0
    c["n"].value = 3
    assert c["row"].disabled and "larger than the padded input" in view.value


def test_padding_widget_shows_the_learner_stub_and_the_expected_picture():
    box = explore_padding(zero_pad=stub)
    assert "zero_pad is not implemented yet" in box.view.value
    box.controls["pad"].value = 3
    assert "zero_pad(X, 3): 9 × 10" in box.view.value


def test_pooling_widget_reads_typed_matrices_and_buttons():
    box = explore_pooling()
    c, view = box.controls, box.view
    c["matrix"].value = "1 2 3; 4 5 6; 7 8 9"
    assert "A_prev: 3 × 3" in view.value and c["row"].disabled
    c["matrix"].value = "1 2; 3"
    assert "different lengths" in view.value and "A_prev: 3 × 3" in view.value
    c["ties"].click()
    assert "tie" in view.value and c["matrix"].value.startswith("0 0 2 2 1")
    c["random"].click()
    assert parse_matrix(c["matrix"].value)[0] is not None
    c["mode"].value = "average"
    assert "Its mean is" in view.value


def test_gradients_widget_switches_layer_and_target():
    box = explore_gradients()
    c, view = box.controls, box.view
    c["target"].value = "a weight"
    assert c["row"].max == 1 and c["row"].description == "weight row" and "dW[" in view.value
    c["layer"].value = "max pooling"
    assert c["target"].disabled and c["pad"].disabled and c["row"].description == "input row"
    assert "to the maxima" in view.value


# im2col (Assignment 2) ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def a2():
    """The solution's functions of Assignment 2."""
    return solutions.load("assignment2")


def test_im2col_row_and_column_mappings_match_the_solution(a2):
    for n, f, stride, pad in itertools.product(unfolding.N_RANGE, unfolding.F_RANGE,
                                               unfolding.STRIDE_RANGE, unfolding.PAD_RANGE):
        x = unfolding.image(n)
        col = a2["im2col"](x[None], f, f, stride, pad)
        rows, width = col.shape
        for window, column in {(0, 0), (rows - 1, width - 1), (rows // 2, width // 3)}:
            s = im2col_state(n, f, stride, pad, window, column)
            assert np.array_equal(s.col, col)
            # The row's cells, read from the padded image, are that row of the solution's col ...
            assert [s.padded[cell] for cell in s.row_cells] == list(col[window])
            # ... and the column's cell of every window is that column of it.
            assert [s.padded[cell] for cell in s.column_cells] == list(col[:, column])
            assert s.labels[column] == ",".join(map(str, s.cyx))
        counts = a2["col2im"](np.ones_like(col), x[None].shape, f, f, stride, pad)[0]
        assert np.array_equal(s.counts, counts)


def test_im2col_explains_the_chosen_entry():
    s = im2col_state(4, 3, 1, 1, window=5, column=10)
    assert s.ij == (1, 1) and s.cyx == (1, 0, 1)
    assert "col[5, 10] = padded[1, 1·1 + 0, 1·1 + 1] = padded[1, 1, 2]: pixel 18" in s.text
    corner = im2col_state(4, 3, 1, 1, window=0, column=0)
    assert "padding" in corner.text and corner.col[0, 0] == 0
    assert im2col_state(3, 3, 2, 0).out == 1 and im2col_state(3, 3, 2, 0, window=7).window == 0


def test_im2col_compares_the_learner_functions(a2):
    s = im2col_state(4, 2, 1, 1, im2col=a2["im2col"], col2im=a2["col2im"])
    assert s.learner_col.status == "matches" and s.learner_counts.status == "matches"

    def yxc_order(x, fh, fw, stride=1, pad=0):  # columns in (y, x, c) order: a common slip
        col = a2["im2col"](x, fh, fw, stride, pad)
        c = x.shape[1]
        return col.reshape(len(col), c, fh, fw).transpose(0, 2, 3, 1).reshape(len(col), -1)

    def no_overlap(col, shape, fh, fw, stride=1, pad=0):  # assigns instead of adding
        return np.minimum(a2["col2im"](col, shape, fh, fw, stride, pad), 1)

    wrong = im2col_state(4, 2, 1, 0, im2col=yxc_order, col2im=no_overlap)
    assert wrong.learner_col.status == "differs" and wrong.learner_counts.status == "differs"
    assert (1, 1) in wrong.learner_counts.diffs and wrong.learner_counts.diffs[(1, 1)] == "4"
    html = unfolding.render(wrong)
    assert "your im2col differs from the expected col" in html and "your col2im(ones)" in html
    assert "it must add them (+=)" in html
    lines = unfolding.render(im2col_state(4, 2, im2col=stub, col2im=returns_none))
    assert "im2col is not implemented yet" in lines and "col2im returned None" in lines


def test_im2col_widget_fits_its_sliders():
    box = unfolding.explore_im2col()
    c, view = box.controls, box.view
    assert c["window"].max == 8 and c["column"].max == 7  # n 4, f 2: 3 × 3 windows, 2·2·2 columns
    c["f"].value = 3
    assert c["window"].max == 3 and c["column"].max == 17
    c["stride"].value = 2
    c["window"].value = 0
    assert c["window"].disabled and "Row 0 of col" in view.value
    c["pad"].value = 1
    c["column"].value = 17
    assert "Column 17 of col is offset (c, y, x) = (1, 2, 2)" in view.value


# Convolution arithmetic (Assignments 1 and 2) ------------------------------------------------

@pytest.fixture(scope="module")
def a1():
    """The solution's functions of Assignment 1."""
    return solutions.load("assignment1")


def test_backward_is_a_transposed_convolution_as_the_solutions_compute_it(a1, a2):
    for n, f, stride, pad in itertools.product(arithmetic.N_RANGE, arithmetic.F_RANGE,
                                               arithmetic.STRIDE_RANGE, arithmetic.PAD_RANGE):
        s = arithmetic_state(n, f, stride, pad)
        if s.n_out == 0:
            assert "no window fits" in s.error and s.dprev is None
            continue
        assert s.grid.shape[0] - f + 1 == n + 2 * pad and s.turned[0, 0] == s.w[-1, -1]
        # The picture's grid slid over by W turned, recomputed here from the picture's own arrays ...
        size = n + 2 * pad
        slid = np.array([[np.sum(s.grid[r:r + f, c:c + f] * s.turned) for c in range(size)]
                         for r in range(size)])
        assert np.allclose(slid, s.dpad)
        # ... is the gradient of both solutions on the input.
        x = np.random.default_rng(n * 100 + f * 10 + stride).standard_normal((n, n))
        layer = a2["Convolution"](s.w[None, None].copy(), np.zeros(1), stride, pad)
        layer.forward(x[None, None])
        assert np.allclose(layer.backward(s.dz[None, None])[0, 0], s.dprev)
        cache = (x[None, :, :, None], s.w[:, :, None, None], np.zeros((1, 1, 1, 1)),
                 {"stride": stride, "pad": pad})
        assert np.allclose(a1["conv_backward"](s.dz[None, :, :, None], cache)[0][0, :, :, 0], s.dprev)


def test_arithmetic_formula_step_and_floor():
    s = arithmetic_state(5, 3, 2, 1, row=2, col=3)
    assert s.formula.endswith("= 4/2 + 1 = 2 + 1 = 3") and "dilation" in arithmetic.DILATION
    assert s.step.startswith("dA_padded[2, 3] = sum(window × W turned) = dZ[0, 1]·W[2, 1] + "
                             "dZ[1, 1]·W[0, 1] = ")
    assert "dA_prev[1, 2] once the padding is cropped" in s.step
    assert (3, 3) in s.inserted and (2, 2) not in s.inserted and (0, 0) in s.border
    floor = arithmetic_state(6, 3, 2, 0)  # (6 − 3) / 2: the floor drops a row and a column
    assert floor.rest == 1 and "1 more at the end" in floor.size_text and floor.note
    corner = arithmetic_state(5, 3, 2, 1, row=0, col=0)
    assert "This cell is padding" in corner.step
    assert "no window fits" in arithmetic_state(3, 4, 1, 0).error


def test_arithmetic_compares_the_learner_backward(a1, a2):
    mine = arithmetic_state(5, 3, 2, 1, Convolution=a2["Convolution"])
    assert mine.learner.status == "matches" and mine.learner.name == "Convolution.backward"
    assert arithmetic_state(5, 3, 2, 1, conv_backward=a1["conv_backward"]).learner.status == "matches"

    def no_stride(dZ, cache):  # the window ignores the stride
        A_prev, W, b, hp = cache
        return good_conv_backward(dZ, (A_prev, W, b, dict(hp, stride=1)))

    wrong = arithmetic_state(5, 3, 2, 1, conv_backward=no_stride)
    assert wrong.learner.status in ("differs", "failed")

    class Unwritten:
        def __init__(self, W, b, stride=1, pad=0):
            pass

        def forward(self, x):
            raise NotImplementedError()

    html = arithmetic.render(arithmetic_state(Convolution=Unwritten))
    assert "Convolution.forward is not implemented yet" in html


def test_arithmetic_widget_fits_its_sliders():
    box = arithmetic.explore_conv_arithmetic()
    c, view = box.controls, box.view
    assert c["row"].max == 6 and "n_out = ⌊(n + 2·pad − f) / stride⌋ + 1" in view.value
    c["pad"].value = 0
    assert c["row"].max == 4
    c["col"].value = 4
    assert "dA_padded[0, 4]" in view.value
    c["f"].value = 4
    c["n"].value = 3
    assert c["row"].disabled and "no window fits" in view.value


# The trained network (Assignment 3) ------------------------------------------------------------

@pytest.fixture(scope="module")
def a3():
    """The solution's functions of Assignment 3, and its network with the stored parameters."""
    fn = solutions.load("assignment3")
    params, offered = network.stored_network()
    return fn, params, offered


def solution_net(a3):
    fn, params, _ = a3
    return fn["SimpleCNN"]({k: v.copy() for k, v in params.items()})


def test_saliency_is_the_numerical_gradient_of_the_class_score(a3):
    net = solution_net(a3)
    for digit, klass in [(0, None), (4, 7), (10, 3)]:
        s = network_state(digit, klass=klass)
        found = network.smooth_differences(
            lambda x: net.predict(x[None, None])[0, s.klass], s.image, count=4)
        assert len(found) == 4
        for cell, numeric in found:
            assert np.isclose(s.saliency[cell], numeric, rtol=1e-5, atol=1e-8), (digit, cell)


def test_a_kink_is_not_taken_for_a_smooth_pixel(a3):
    # Image 10 of the offered digits: pixel (1, 2) sits at a tie in max pooling (flat
    # background), where the one-sided differences disagree: it is passed over.
    net = solution_net(a3)
    s = network_state(10, klass=3)
    cells = [cell for cell, _ in network.smooth_differences(
        lambda x: net.predict(x[None, None])[0, 3], s.image, count=64)]
    assert (1, 2) not in cells and len(cells) > 20


def test_network_views_are_the_solution_networks(a3):
    net = solution_net(a3)
    s = network_state(3, "pool", feature=5, patch=3, patch_row=1, patch_col=4)
    x = s.image[None, None]
    conv = net.layers[0].forward(x)
    pool = net.layers[2].forward(net.layers[1].forward(conv))
    assert np.allclose(s.maps["conv"], conv[0]) and np.allclose(s.maps["pool"], pool[0])
    scores = net.predict(x)[0]
    assert np.allclose(s.probs, np.exp(scores) / np.exp(scores).sum())
    covered = s.image.copy()
    covered[1:4, 4:7] = network.GREY
    p = np.exp(net.predict(covered[None, None])[0])
    assert np.isclose(s.occlusion[1, 4], p[s.klass] / p.sum())
    assert s.klass == s.predicted  # a new digit starts on the class it is read as


def test_receptive_fields_of_the_layers():
    assert network.receptive_field("conv", 0, 0)[:3] == (-1, -1, 3)   # reaches into the padding
    assert network.receptive_field("relu", 4, 2)[:3] == (3, 1, 3)
    top, left, size, text = network.receptive_field("pool", 1, 2)
    assert (top, left, size) == (1, 3, 4) and "r = 3 + (2 − 1)·1 = 4" in text
    s = network_state(0, "pool", unit_row=9, unit_col=9)
    assert (s.unit_row, s.unit_col) == (3, 3) and s.rf == [5, 5, 4]


def test_network_compares_the_learner_simplecnn(a3):
    fn, params, _ = a3
    s = network_state(1, SimpleCNN=fn["SimpleCNN"])
    assert {k: c.status for k, c in s.checks.items()} == dict.fromkeys(
        ["map", "probs", "saliency", "occlusion"], "matches")
    html = network.render(s)
    assert "your SimpleCNN gives the expected saliency" in html

    class LeakyBackward(fn["Relu"]):  # lets the gradient through where the input was negative
        def backward(self, dout):
            return dout

    class Mine(fn["SimpleCNN"]):
        def __init__(self, params):
            super().__init__(params)
            self.layers[1] = LeakyBackward()

    wrong = network_state(1, SimpleCNN=Mine)
    assert wrong.checks["map"].status == "matches" and wrong.checks["saliency"].status == "differs"
    # The learner's own trained network: its saliency checked by centred differences.
    own = network_state(1, net=Mine({k: v.copy() for k, v in params.items()}))
    assert own.source == "yours" and "DISAGREE" in own.numeric
    good = network_state(1, net=solution_net(a3))
    assert "they agree" in good.numeric


def test_network_names_an_unwritten_layer_method(a3):
    fn, _, _ = a3

    class Unwritten(fn["SimpleCNN"]):
        def __init__(self, params):
            super().__init__(params)

            class Relu:
                def forward(self, x):
                    raise NotImplementedError()

            self.layers[1] = Relu()

    html = network.render(network_state(0, SimpleCNN=Unwritten))
    assert html.count("Relu.forward is not implemented yet: the expected views are shown alone.") == 1
    assert "the trained network reads it as" in html


def test_network_widget_follows_the_digit_and_layer():
    box = network.explore_network()
    c, view = box.controls, box.view
    first = c["klass"].value
    assert c["unit_row"].max == 7 and "the trained network reads it as" in view.value
    c["layer"].value = "pool"
    assert c["unit_row"].max == 3 and "4 × 4 pixels" in view.value
    c["digit"].value = 3
    assert c["digit"].description == "test digit (a 3)" and c["klass"].value == 3
    c["klass"].value = 5
    assert "d score[5] / d image" in view.value and first == 0
    c["patch"].value = 3
    assert c["patch_row"].max == 5


# The explorer notebooks of Assignments 2 and 3 -------------------------------------------------

NEW_EXPLORER_NOTEBOOKS = {"assignment2": ["im2col", "arithmetic"], "assignment3": ["network"]}


@pytest.mark.slow
@pytest.mark.parametrize("root", ["solutions", "notebooks"])
@pytest.mark.parametrize("assignment", sorted(NEW_EXPLORER_NOTEBOOKS))
def test_explorer_notebook_of_an_assignment_shows_its_explorers(root, assignment, tmp_path):
    import json
    import shutil

    from conftest import ROOT, execute

    source = ROOT / root / assignment / "explorers.ipynb"
    # Ungraded: no nbgrader metadata, so nbgrader's gradebook never looks for its cells.
    assert "nbgrader" not in source.read_text(encoding="utf-8")
    nb = execute(shutil.copy(source, tmp_path), tmp_path)
    shown = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", (cell.get("id"), out.get("evalue"))
            assert not (out.output_type == "stream" and out.name == "stderr"), out.text
        if any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
               for o in cell.get("outputs", [])):
            shown.append(cell.get("id"))
    assert shown == NEW_EXPLORER_NOTEBOOKS[assignment]
    # The explore cells of the assignment's notebook: plain cells, after the exercise they show.
    for path in (ROOT / root / assignment).glob("*.ipynb"):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for k, cell in enumerate(cells):
            if cell.get("id", "").startswith("explore-"):
                assert "nbgrader" not in cell["metadata"], (path.name, cell["id"])
                assert "from cnnbook.explorers import explore_" in "".join(cell["source"])

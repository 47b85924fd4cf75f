"""A failed check on an array is followed by a figure of the learner's array against the
expected one, differing cells framed: in the notebook, below the check's line, and in
nbgrader's feedback (cnnbook-grade's and stock autograde's), for public cases only. A
hidden case is never drawn: its values appear nowhere in the feedback."""

from __future__ import annotations

import base64
import re
from dataclasses import asdict

import nbformat
import numpy as np
import pytest

import classroom
import public_tests
from cnnbook import drawing
from cnnbook.checker import CheckFailed, check
from cnnbook.suites import assignment2 as a2
from conftest import ROOT, execute
from instructor import solutions
from instructor.grading.checking import TestResult

SOLUTION = solutions.load("assignment2")
ASSIGNMENT = "assignment2"

# A learner's MaxPool that pads with zeros: wrong on the public case with negative values.
ZERO_PADDING = ("constant_values=-np.inf", "constant_values=0")
# A learner's MaxPool right on every window of up to 9 values, the public ones, and wrong on
# the hidden tests' 4 x 4 windows.
FIRST_NINE = ("out = np.max(windows, axis=1)", "out = np.max(windows[:, :9], axis=1)")


def learner_class(replace: tuple[str, str]):
    """The solution's MaxPool with one line of its source replaced, as a learner's class."""
    source = classroom.answer_sources(ASSIGNMENT)["MaxPool"]
    assert replace[0] in source
    namespace = {"np": np, "im2col": SOLUTION["im2col"], "col2im": SOLUTION["col2im"]}
    exec(source.replace(*replace), namespace)
    return namespace["MaxPool"]


def failure(fn, *args) -> CheckFailed:
    with pytest.raises(CheckFailed) as caught:
        fn(*args)
    return caught.value


def svg_images(html: str) -> list[str]:
    """The SVG images of an nbconvert page (outputs and figures are embedded as base64)."""
    return [base64.b64decode(b).decode("utf-8")
            for b in re.findall(r"src=.data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", html)]


def drawn_failures(html: str) -> list[str]:
    return [svg for svg in svg_images(html) if "yours: " in svg]


def hidden_inputs() -> list[np.ndarray]:
    """Every x the hidden MaxPool tests give a layer, recorded from a correct one."""
    seen = []

    class Recording(SOLUTION["MaxPool"]):
        def forward(self, x):
            seen.append(np.array(x))
            return super().forward(x)

    check("MaxPool", Recording, suite="hidden", quiet=True)
    assert seen
    return seen


def assert_no_hidden_value(html: str, inputs: list[np.ndarray], anywhere: bool = True) -> None:
    """No value of a hidden input appears inside an image as a figure would write it (3
    significant digits in a cell, 6 in a cell's tooltip), nor, if ``anywhere``, in the text."""
    pages = [html] + svg_images(html)
    for x in inputs:
        for v in np.unique(x):
            for shown in (f">{v:.3g}</text>", f"expected {v:.6g}"):
                assert not any(shown in page for page in pages), shown
            assert not (anywhere and f"{v:.6g}" in html), v


# The figure ------------------------------------------------------------------------------

def test_the_figure_frames_each_differing_cell():
    want = np.arange(12.0).reshape(3, 4)
    got = want.copy()
    got[0, 1], got[2, 3] = 7.5, -1
    svg = drawing.mismatch_figure(got, want, "Z", 1e-6, 1e-7)
    assert svg.count("stroke-dasharray='4 2'") == 2  # two framed cells
    assert "expected 1</title>" in svg and "expected 11</title>" in svg
    assert ">7.5</text>" in svg and "yours: Z" in svg and "expected: Z" in svg
    assert "the 2 of 12 cells that differ" in svg


def test_the_figure_shows_the_slice_of_the_first_difference():
    want = np.zeros((2, 3, 4, 4))
    got = want.copy()
    got[1, 2, 3, 0] = 1
    svg = drawing.mismatch_figure(got, want, "out", 1e-6, 1e-7)
    assert "yours: out[1, 2, :, :]" in svg and svg.count("stroke-dasharray='4 2'") == 1


@pytest.mark.parametrize("got, want", [
    (np.float64(1.0), np.float64(2.0)),                                  # no axis
    (np.ones((2, drawing.MISMATCH_SIDE + 1)), np.zeros((2, drawing.MISMATCH_SIDE + 1))),  # too wide
    (np.ones((3, 3)), np.ones((3, 3))),                                  # no difference
    (np.ones((3, 3)), np.ones((3, 4))),                                  # another shape
])
def test_no_figure_where_there_is_nothing_small_to_draw(got, want):
    assert drawing.mismatch_figure(got, want, "Z", 1e-6, 1e-7) is None


def test_a_failing_public_check_carries_its_figure():
    err = failure(public_tests.maxpool_test, learner_class(ZERO_PADDING))
    assert "all values negative" in str(err) and "\n" not in str(err)
    assert "yours: out[0, 0, :, :]" in err.figure
    want = a2.expected("MaxPool/2 x 2, stride 2, pad 1, all values negative/out")
    assert f"expected {want[0, 0, 0, 0]:.6g}" in err.figure


def test_a_hidden_check_carries_no_figure():
    MaxPool = learner_class(FIRST_NINE)
    public_tests.maxpool_test(MaxPool)  # passes: no public window has more than 9 values
    err = failure(check, "MaxPool", MaxPool, "hidden")
    assert "hidden" in str(err) and err.figure is None


def test_a_drawing_error_leaves_the_message(monkeypatch):
    def broken(*args):
        raise ValueError("no figure")

    monkeypatch.setattr(drawing, "mismatch_figure", broken)
    err = failure(public_tests.maxpool_test, learner_class(ZERO_PADDING))
    assert "MaxPool.forward: out is wrong at" in str(err) and err.figure is None


def test_a_figure_that_cannot_be_shown_leaves_the_line():
    err = CheckFailed("f: wrong")
    err.figure = "<svg/>"
    assert err._render_traceback_() == ["\x1b[0;31mCheckFailed\x1b[0m: f: wrong"]  # no IPython kernel here


def test_the_grader_puts_the_public_figure_below_the_line():
    result = TestResult("MaxPool_test", 20, public_message="CheckFailed: MaxPool.forward: out is wrong")
    result.figure = "<svg/>"
    kinds = [o["output_type"] for o in result.feedback_outputs]
    assert kinds == ["stream", "display_data", "error"]
    assert result.feedback_outputs[1]["data"]["image/svg+xml"] == "<svg/>"
    hidden = TestResult("MaxPool_test", 20, hidden_message="CheckFailed: MaxPool.forward: hidden 5")
    hidden.figure = "<svg/>"  # even if one were there, a hidden failure shows none
    assert [o["output_type"] for o in hidden.feedback_outputs] == ["stream", "error"]
    assert "figure" not in asdict(result)  # the grading record stays text


# In a notebook and in the feedback ------------------------------------------------------

@pytest.mark.slow
def test_the_figure_shows_under_the_line_in_a_notebook(tmp_path):
    nb = nbformat.v4.new_notebook()
    zero_padding = classroom.answer_sources(ASSIGNMENT)["MaxPool"].replace(*ZERO_PADDING)
    nb.cells = [nbformat.v4.new_code_cell(f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
                                          "import numpy as np\nfrom public_tests import *"),
                nbformat.v4.new_code_cell(classroom.answer_sources(ASSIGNMENT)["im2col"] + "\n\n"
                                          + classroom.answer_sources(ASSIGNMENT)["col2im"]),
                nbformat.v4.new_code_cell(zero_padding),
                nbformat.v4.new_code_cell("maxpool_test(MaxPool)"),
                nbformat.v4.new_code_cell("im2col_test(im2col)")]
    path = tmp_path / "check.ipynb"
    nbformat.write(nb, path)
    done = execute(path, tmp_path, allow_errors=True)
    failed, passed = done.cells[3].outputs, done.cells[4].outputs
    assert [o["output_type"] for o in failed] == ["error", "display_data"]
    assert "all values negative" in failed[0]["evalue"]
    assert "yours: out[0, 0, :, :]" in failed[1]["data"]["image/svg+xml"]
    assert [o["output_type"] for o in passed] == ["stream"]


def submit_pair(course):
    sources = classroom.answer_sources(ASSIGNMENT)
    for student, replace in (("public-fails", ZERO_PADDING), ("hidden-fails", FIRST_NINE)):
        classroom.submit(course, student, {**sources, "MaxPool": sources["MaxPool"].replace(*replace)},
                         assignment=ASSIGNMENT)


def assert_public_drawn_hidden_not(course, hidden_line: str, anywhere: bool = True):
    def page(student: str) -> str:
        return (course / "feedback" / student / ASSIGNMENT / "fast_layers.html").read_text(encoding="utf-8")

    html = page("public-fails")
    figures = drawn_failures(html)
    assert len(figures) == 1 and "yours: out[0, 0, :, :]" in figures[0]
    assert "all values negative" in html
    # The grep below finds a drawn case's values: the public case's expected maxima are there.
    want = a2.expected("MaxPool/2 x 2, stride 2, pad 1, all values negative/out")
    assert f"expected {want[0, 0, 0, 0]:.6g}" in figures[0]
    html = page("hidden-fails")
    assert hidden_line in html
    assert drawn_failures(html) == []
    assert_no_hidden_value(html, hidden_inputs(), anywhere)


@pytest.mark.slow
def test_cnnbook_grade_feedback_draws_public_failures_only(tmp_path):
    from instructor.grading import cli

    course = classroom.make_course(tmp_path, assignments=(ASSIGNMENT,))
    submit_pair(course)
    assert cli.main([ASSIGNMENT, "--course", str(course), "--timeout", "60", "--workers", "1"]) == 0
    assert_public_drawn_hidden_not(course, "passes the public tests but fails the hidden tests")


@pytest.mark.slow
def test_stock_nbgrader_feedback_draws_public_failures_only(tmp_path):
    from nbgrader.apps import NbGraderAPI

    from instructor import release

    course = classroom.make_course(tmp_path, assignments=(ASSIGNMENT,))
    submit_pair(course)
    api = NbGraderAPI(config=release.nbgrader_config(course))
    for student in ("public-fails", "hidden-fails"):
        result = api.autograde(ASSIGNMENT, student, force=True, create=True)
        assert result["success"], result["log"] + str(result.get("error"))
        result = api.generate_feedback(ASSIGNMENT, student, force=True)
        assert result["success"], result["log"]
    # Stock autograde shows the hidden check's own line, as the kernel raised it (its case and
    # one value: the README's stock route has no tamper defence either); never a figure of it.
    assert_public_drawn_hidden_not(course, "on the case hidden 5", anywhere=False)


def test_the_grep_finds_a_hidden_case_once_drawn():
    # What the feedback tests rely on: a figure of the failing hidden case, which the checker
    # keeps out of every message, would carry that case's input values.
    from cnnbook.checker import load_plugins
    from cnnbook.checks import _EXERCISES

    load_plugins()
    with pytest.raises(CheckFailed) as caught:
        _EXERCISES["MaxPool"].suites["hidden"](learner_class(FIRST_NINE))
    assert caught.value.figure
    with pytest.raises(AssertionError):
        assert_no_hidden_value(caught.value.figure, hidden_inputs())

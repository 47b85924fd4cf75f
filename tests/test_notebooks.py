"""The notebooks as a learner meets them: solutions run clean, stubs fail politely."""

import json
import re
import shutil

import pytest

from conftest import ROOT, execute, grade_id, is_graded
from instructor.execute import copy_with_files

SOLUTIONS = sorted((ROOT / "solutions").rglob("*.ipynb"))
STUDENT = sorted((ROOT / "notebooks").rglob("*.ipynb"))
# The explorer notebook has no exercises; it has a test of its own below.
ASSIGNED_SOLUTIONS = [p for p in SOLUTIONS if p.name != "explorers.ipynb"]
ASSIGNED_STUDENT = [p for p in STUDENT if p.name != "explorers.ipynb"]
EXPLORERS = [ROOT / "solutions" / "assignment1" / "explorers.ipynb",
             ROOT / "notebooks" / "assignment1" / "explorers.ipynb"]
WIDGET = "application/vnd.jupyter.widget-view+json"

pytestmark = pytest.mark.slow


def test_there_are_notebooks():
    assert [p.name for p in SOLUTIONS] == [p.name for p in STUDENT]
    assert len(SOLUTIONS) >= 2


def shows_a_widget(cell) -> bool:
    return any(WIDGET in out.get("data", {}) for out in cell.outputs)


def explorer_cells(nb) -> list:
    return [c for c in nb.cells if c.get("id", "").startswith("explore-")]


@pytest.mark.parametrize("path", ASSIGNED_SOLUTIONS, ids=lambda p: p.name)
def test_solution_runs_without_error_or_warning(path, tmp_path):
    nb = execute(copy_with_files(path, tmp_path / "nb"), tmp_path / "nb")
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            assert out.output_type != "error", (grade_id(cell), out.get("evalue"))
            assert not (out.output_type == "stream" and out.name == "stderr"), (grade_id(cell), out.text)
            assert "Warning" not in out.get("text", ""), (grade_id(cell), out.text)
    graded = [c for c in nb.cells if is_graded(c)]
    assert graded and all(any("passes all public tests" in o.get("text", "") for o in c.outputs)
                          and any("passes the hidden tests" in o.get("text", "") for o in c.outputs)
                          for c in graded)
    assert all(shows_a_widget(c) for c in explorer_cells(nb))


@pytest.mark.parametrize("path", ASSIGNED_STUDENT, ids=lambda p: p.name)
def test_untouched_student_notebook_fails_each_check_in_one_line(path, tmp_path):
    # No allow_errors: the failing checks are tagged raises-exception, so Run All goes on past them.
    nb = execute(copy_with_files(path, tmp_path / "nb"), tmp_path / "nb")
    graded = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if not is_graded(cell):
            assert not errors, (grade_id(cell), errors)
            continue
        graded += 1
        name = grade_id(cell).removesuffix("_test")
        assert len(errors) == 1, grade_id(cell)
        assert len(errors[0].traceback) == 1, errors[0].traceback
        assert re.search(rf"{name}(\.\w+)? is not implemented yet", errors[0].traceback[0])
    assert graded >= 4
    # The explorers after the exercises still draw, with the learner's stubs.
    assert all(shows_a_widget(c) for c in explorer_cells(nb))


@pytest.mark.parametrize("path", ASSIGNED_STUDENT, ids=lambda p: p.name)
def test_student_notebook_has_stubs_not_solutions(path):
    text = path.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "import instructor" not in text and "from instructor" not in text
    assert 'suite=\\"hidden\\"' not in text
    assert text.count("### START CODE HERE ###") == text.count("### END CODE HERE ###") >= 4
    assert "raise NotImplementedError()" in text


def test_assignment_1_shows_an_explorer_after_each_layer():
    for name, expected in [("part1_forward", ["explore-padding", "explore-convolution", "explore-pooling"]),
                           ("part2_backward", ["explore-gradients", "explore-pooling"])]:
        for root in ("solutions", "notebooks"):
            nb = json.loads((ROOT / root / "assignment1" / f"{name}.ipynb").read_text(encoding="utf-8"))
            ids = [c.get("id") for c in nb["cells"]]
            assert [i for i in ids if (i or "").startswith("explore-")] == expected, (root, name)
            for cid in expected:  # right after the graded check of the exercise it illustrates
                assert is_graded(nb["cells"][ids.index(cid) - 1]), (root, name, cid)
                # Optional and ungraded: a plain cell, so nbgrader's gradebook never looks for it.
                assert "nbgrader" not in nb["cells"][ids.index(cid)]["metadata"], (root, name, cid)


@pytest.mark.parametrize("path", EXPLORERS, ids=lambda p: p.parent.parent.name)
def test_explorer_notebook_shows_the_four_explorers(path, tmp_path):
    nb = execute(shutil.copy(path, tmp_path), tmp_path)
    shown = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            assert out.output_type != "error", (cell.get("id"), out.get("evalue"))
            assert not (out.output_type == "stream" and out.name == "stderr"), out.text
        if shows_a_widget(cell):
            shown.append(cell.get("id"))
    assert shown == ["padding", "convolution", "pooling", "gradients"]

"""The notebooks as a learner meets them: solutions run clean, stubs fail politely."""

import re
import shutil

import pytest

from conftest import ROOT, execute, grade_id, is_graded

SOLUTIONS = sorted((ROOT / "solutions").rglob("*.ipynb"))
STUDENT = sorted((ROOT / "notebooks").rglob("*.ipynb"))

pytestmark = pytest.mark.slow


def test_there_are_notebooks():
    assert [p.name for p in SOLUTIONS] == [p.name for p in STUDENT]
    assert len(SOLUTIONS) >= 2


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_solution_runs_without_error_or_warning(path, tmp_path):
    nb = execute(shutil.copy(path, tmp_path), tmp_path)
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


@pytest.mark.parametrize("path", STUDENT, ids=lambda p: p.name)
def test_untouched_student_notebook_fails_each_check_in_one_line(path, tmp_path):
    # No allow_errors: the failing checks are tagged raises-exception, so Run All goes on past them.
    nb = execute(shutil.copy(path, tmp_path), tmp_path)
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


@pytest.mark.parametrize("path", STUDENT, ids=lambda p: p.name)
def test_student_notebook_has_stubs_not_solutions(path):
    text = path.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "import instructor" not in text and "from instructor" not in text
    assert 'suite=\\"hidden\\"' not in text
    assert text.count("### START CODE HERE ###") == text.count("### END CODE HERE ###") >= 4
    assert "raise NotImplementedError()" in text

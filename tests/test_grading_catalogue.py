"""The out-of-kernel checks judge every learner bug of the catalogues as the in-process
checks do: each bug fails with its hint, each correct variant passes, in all assignments.

The catalogue module runs, as one cell, in a learner's process; each check runs in the
grader against the proxies of its functions and classes. This covers what the proxies must
get right: inputs changed in place, layers whose W a gradient check nudges, parameters
updated in place or rebound, and reference layers swapped in for a network's helpers."""

from __future__ import annotations

import importlib
import shutil
import time

import pytest

from conftest import ROOT
from instructor.grading.checking import RemoteLearner, run_test
from instructor.grading.notebooks import TestCell
from instructor.grading.sandbox import Limits

pytestmark = pytest.mark.slow

CATALOGUES = ["test_learner_bugs", "test_learner_bugs_a2", "test_learner_bugs_a3"]


def entries(module):
    out = []
    for p in module.BUGS:
        name, fn, hint = p.values
        out.append((p.id, name, fn.__name__, hint))
    for p in module.CORRECT:
        name, fn = p.values
        out.append((p.id, name, fn.__name__, None))
    return out


@pytest.mark.parametrize("catalogue", CATALOGUES)
def test_the_grader_judges_the_catalogue_as_the_notebook_does(catalogue, tmp_path):
    module = importlib.import_module(catalogue)
    path = ROOT / "tests" / f"{catalogue}.py"
    # The module finds the given layers of Assignment 3 from its own path, as in the repository.
    (tmp_path / "tests").mkdir()
    given = ROOT / "notebooks" / "assignment3" / "fast_layers.py"
    if given.exists():
        (tmp_path / "notebooks" / "assignment3").mkdir(parents=True)
        shutil.copy(given, tmp_path / "notebooks" / "assignment3")
    program = [(0, f"__file__ = {str(tmp_path / 'tests' / path.name)!r}"),
               (1, path.read_text(encoding="utf-8").replace("from __future__ import annotations\n", ""))]
    learner = RemoteLearner(program, tmp_path, Limits(cell_timeout=60, memory=2 << 30), time.monotonic() + 900)
    setup = {"__name__": "__main__"}
    exec("from cnnbook.checker import check", setup)
    wrong = []
    try:
        learner.ensure()
        assert learner.runs[1]["error"] is None, learner.runs[1]["error"]
        for case, name, obj, hint in entries(module):
            result = run_test(TestCell(f"{name}_test", 1.0, f"check({name!r}, {obj})", ""), setup, learner, 60)
            message = result.public_message or ""
            if hint is None and result.status != "passed":
                wrong.append(f"{case}: a correct variant failed: {message}")
            elif hint is not None and result.status == "passed":
                wrong.append(f"{case}: passed")
            elif hint is not None and hint not in message:
                wrong.append(f"{case}: {result.status}, without the hint {hint!r}: {message}")
    finally:
        learner.close()
    assert not wrong, "\n".join(wrong)
    assert len(entries(module)) >= 10

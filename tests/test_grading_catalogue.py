"""The out-of-kernel checks judge every learner bug of the catalogues as the in-process
checks do: each bug fails with its hint, each correct variant passes, in all assignments.

Each case runs as a learner's program in a learner's process (catalogue.sandbox_program;
the catalogue modules not yet turned into rows run whole, as one cell); each check runs in the
grader against the proxies of its functions and classes. This covers what the proxies must
get right: inputs changed in place, layers whose W a gradient check nudges, parameters
updated in place or rebound, and reference layers swapped in for a network's helpers."""

from __future__ import annotations

import importlib
import shutil
import time

import pytest

import catalogue
from catalogue import identifier
from conftest import ROOT
from instructor.grading.checking import RemoteLearner, run_test
from instructor.grading.notebooks import TestCell
from instructor.grading.sandbox import Limits
from mistakes import CATALOGUE

pytestmark = pytest.mark.slow

# Assignments whose mistakes are rows of mistakes.py, and the modules that still hold theirs.
CATALOGUES = [*CATALOGUE, "test_learner_bugs_a3"]
# Hints found by walking the learner's stack frames for the layer that raised (Assignment 3's
# SimpleCNN): those frames stay in the learner's process, so the grader fails these bugs
# without that hint. The score is the same.
FRAME_HINTS = {"SimpleCNN-predict-reversed", "SimpleCNN-predict-not-chained",
               "SimpleCNN-backward-in-forward-order", "SimpleCNN-backward-from-1.0"}


def judge(learner, cases) -> list[str]:
    """What the grader got wrong: (id, check, the learner's name of the target, hint) each."""
    setup = {"__name__": "__main__"}
    exec("from cnnbook.checker import check", setup)
    wrong = []
    learner.ensure()
    assert learner.runs[1]["error"] is None, learner.runs[1]["error"]
    for case, name, obj, hint in cases:
        result = run_test(TestCell(f"{name}_test", 1.0, f"check({name!r}, {obj})", ""), setup, learner, 60)
        message = result.public_message or ""
        if hint is None and result.status != "passed":
            wrong.append(f"{case}: a correct variant failed: {message}")
        elif hint is not None and result.status == "passed":
            wrong.append(f"{case}: passed")
        elif hint is not None and not catalogue.hint_found(hint, message) and case not in FRAME_HINTS:
            wrong.append(f"{case}: {result.status}, without the hint {hint!r}: {message}")
    return wrong


def entries(module):
    out = []
    for p in module.BUGS:
        name, fn, hint = p.values
        out.append((p.id, name, fn.__name__, hint))
    for p in module.CORRECT:
        name, fn = p.values
        out.append((p.id, name, fn.__name__, None))
    return out


@pytest.mark.parametrize("name", CATALOGUES)
def test_the_grader_judges_the_catalogue_as_the_notebook_does(name, tmp_path):
    limits = Limits(cell_timeout=60, memory=2 << 30)
    if name in CATALOGUE:
        rows = catalogue.solution_cases(name) + CATALOGUE[name]
        program = [(0, "pass"), (1, catalogue.sandbox_program(rows, name))]
        cases = [(c.id, c.check, identifier(c), c.hint) for c in rows]
    else:
        module = importlib.import_module(name)
        path = ROOT / "tests" / f"{name}.py"
        # The module finds the given layers of Assignment 3 from its own path, as in the repository.
        (tmp_path / "tests").mkdir()
        given = ROOT / "notebooks" / "assignment3" / "fast_layers.py"
        if given.exists():
            (tmp_path / "notebooks" / "assignment3").mkdir(parents=True)
            shutil.copy(given, tmp_path / "notebooks" / "assignment3")
        program = [(0, f"__file__ = {str(tmp_path / 'tests' / path.name)!r}"),
                   (1, path.read_text(encoding="utf-8").replace("from __future__ import annotations\n", ""))]
        cases = entries(module)
    learner = RemoteLearner(program, tmp_path, limits, time.monotonic() + 900)
    try:
        wrong = judge(learner, cases)
    finally:
        learner.close()
    assert not wrong, "\n".join(wrong)
    assert len(cases) >= 10

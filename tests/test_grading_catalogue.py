"""The out-of-kernel checks judge every learner bug of the catalogue as the in-process
checks do: each bug fails with its hint, each correct variant passes, in all assignments.

Each case runs as a learner's program in a learner's process (catalogue.sandbox_program);
each check runs in the grader against the proxies of its functions and classes. This covers
what the proxies must get right: inputs changed in place, layers whose W a gradient check
nudges, parameters updated in place or rebound, and reference layers swapped in for a
network's helpers."""

from __future__ import annotations

import time

import pytest

import catalogue
from instructor.grading.checking import RemoteLearner, run_test
from instructor.grading.notebooks import TestCell
from instructor.grading.sandbox import Limits
from mistakes import CATALOGUE

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("assignment, exercise", [
    pytest.param(a, exercise, id=exercise) for a in CATALOGUE for exercise in catalogue.answer_cells(a)])
def test_the_grader_judges_the_catalogue_as_the_notebook_does(assignment, exercise, tmp_path):
    cases = [case for case in catalogue.solution_cases(assignment) + CATALOGUE[assignment] if case.check == exercise]
    program = [(0, catalogue.sandbox_program(cases, assignment))]
    learner = RemoteLearner(program, tmp_path, Limits(cell_timeout=60, memory=2 << 30), time.monotonic() + 900)
    setup = {"__name__": "__main__"}
    exec("from cnnbook.checker import check", setup)
    wrong = []
    try:
        learner.ensure()
        assert learner.runs[0]["error"] is None, learner.runs[0]["error"]
        for case in cases:
            test = TestCell(f"{case.check}_test", 1.0, f"check({case.check!r}, {catalogue.identifier(case)})", "")
            result = run_test(test, setup, learner, 60)
            message = result.public_message or ""
            if case.hint is None and result.status != "passed":
                wrong.append(f"{case.id}: a correct variant failed: {message}")
            elif case.hint is not None and result.status == "passed":
                wrong.append(f"{case.id}: passed")
            elif case.hint is not None and not catalogue.hint_found(case.hint, message):
                wrong.append(f"{case.id}: {result.status}, without the hint {case.hint!r}: {message}")
    finally:
        learner.close()
    assert not wrong, "\n".join(wrong)
    assert len(cases) >= 3  # the solution, a stub and a mistake at least

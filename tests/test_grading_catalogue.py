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


def _helpers(exercise: str) -> tuple[str, ...]:
    from cnnbook import suites  # noqa: F401  (they declare the helpers)
    from cnnbook.checks import _EXERCISES
    return _EXERCISES[exercise].helpers if exercise in _EXERCISES else ()


# An exercise that calls earlier ones is judged twice: with the grader's references swapped in
# for its helpers, and with the learner's own helpers, as the grader first tries once their
# own test cells have passed (the program's helpers are the solution's).
@pytest.mark.parametrize("assignment, exercise, own_helpers", [
    pytest.param(a, exercise, own, id=exercise + ("-own-helpers" if own else ""))
    for a in CATALOGUE for exercise in catalogue.answer_cells(a)
    for own in ((False, True) if _helpers(exercise) else (False,))])
def test_the_grader_judges_the_catalogue_as_the_notebook_does(assignment, exercise, own_helpers, tmp_path):
    cases = [case for case in catalogue.solution_cases(assignment) + CATALOGUE[assignment] if case.check == exercise]
    program = [(0, catalogue.sandbox_program(cases, assignment))]
    learner = RemoteLearner(program, tmp_path, Limits(cell_timeout=60, memory=2 << 30), time.monotonic() + 900)
    if own_helpers:
        learner.passed.update(_helpers(exercise))
    setup = {"__name__": "__main__"}
    exec("from cnnbook.checker import check", setup)
    wrong = []
    try:
        learner.ensure()
        assert learner.runs[0]["error"] is None, learner.runs[0]["error"]
        for case in cases:
            test = TestCell(f"{case.check}_test", 1.0, f"check({case.check!r}, {catalogue.identifier(case)})", "")
            before = learner.sandbox.callbacks
            result = run_test(test, setup, learner, 60)
            message = result.public_message or ""
            if own_helpers and case.hint is None and learner.sandbox.callbacks != before:
                wrong.append(f"{case.id}: a correct variant called the grader's helpers "
                             f"{learner.sandbox.callbacks - before} times, with the learner's own passed")
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

"""The mutation score guards itself: no exercise's public checks or hidden tests catch fewer
of the catalogue's mistakes than tests/mutation_score.json says (written by
tests/mutation_score.py), and the hidden tests, like the public ones, pass correct code."""

from __future__ import annotations

import json

import pytest

import catalogue
import mutation_score
from mistakes import CATALOGUE

STORED = json.loads(mutation_score.STORED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def measured():
    return mutation_score.score()


def test_no_count_drops(measured):
    dropped = [f"{exercise}: {suite} catches {measured.get(exercise, {}).get(suite, 0)} of the mistakes, "
               f"{counts[suite]} before"
               for exercise, counts in STORED.items() for suite in (*mutation_score.SUITES, "mistakes")
               if measured.get(exercise, {}).get(suite, 0) < counts[suite]]
    assert not dropped, "\n".join(dropped)


@pytest.mark.parametrize("assignment, case", [
    pytest.param(a, c, id=c.id) for a, rows in CATALOGUE.items()
    for c in catalogue.solution_cases(a) + rows if c.hint is None])
def test_the_hidden_tests_pass_correct_code(assignment, case):
    assert not mutation_score.caught(case, assignment, "hidden")

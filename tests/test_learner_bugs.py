"""The public checks against the mistakes learners make (the rows of mistakes.py).

Each mistake is made in today's solution (catalogue.py) and run as the learner's notebook
would: its public check must fail with the hint that points at it, not only fail. Correct
code written another way (np.average, a 0/1 mask, argmax at a tie, vectorised) must pass,
and so must the solution itself. test_grading_catalogue.py runs the same cases in the
grading sandbox.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import catalogue
from catalogue import Mistake, StaleMistake, hint_found, target
from cnnbook.checker import check
from mistakes import CATALOGUE, code, lookup


def cases(correct: bool):
    return [pytest.param(assignment, case, id=case.id)
            for assignment, rows in CATALOGUE.items()
            for case in (catalogue.solution_cases(assignment) if correct else []) + rows
            if (case.hint is None) == correct]


BUGS = cases(correct=False)
CORRECT = cases(correct=True)


@pytest.mark.parametrize("assignment, case", BUGS)
def test_bug_gets_its_hint(assignment, case):
    with pytest.raises(AssertionError) as failure:
        check(case.check, target(case, assignment))
    assert hint_found(case.hint, str(failure.value)), \
        f"{case.id}: the message does not point at the bug: {failure.value}"


@pytest.mark.parametrize("assignment, case", CORRECT)
def test_correct_variant_passes(assignment, case, capsys):
    check(case.check, target(case, assignment))
    assert f"{case.check} passes all public tests" in capsys.readouterr().out


def test_no_two_rows_make_the_same_program():
    seen = {}
    for assignment, rows in CATALOGUE.items():
        for case in rows:
            cell = catalogue.answer(case, assignment)
            assert cell not in seen, f"{case.id} is the same mistake as {seen[cell]}"
            seen[cell] = case.id
    ids = [c.id for rows in CATALOGUE.values() for c in rows]
    assert len(ids) == len(set(ids))


def test_a_row_whose_text_is_not_in_the_solution_exactly_once_fails_loudly():
    with pytest.raises(StaleMistake, match="occurs 0 times"):
        catalogue.apply(Mistake("zero_pad", "zero_pad(X, pad, mode)", "x", "hint", "gone"), "assignment1")
    with pytest.raises(StaleMistake, match="occurs 2 times"):  # n_H and n_W both have it
        catalogue.apply(Mistake("conv_forward", "- f) // stride", "- f) / stride", "hint", "twice"), "assignment1")
    with pytest.raises(StaleMistake, match="defines conv_sideways"):
        catalogue.apply(Mistake("conv_sideways", "x", "y", "hint", "nowhere"), "assignment1")


def test_a_row_changes_only_its_own_exercise():
    assignment, case = lookup("conv_forward-ignores-stride")
    cell = catalogue.apply(case, assignment)
    solution = catalogue.answer_cells(assignment)["conv_forward"]
    assert cell != solution
    assert cell.replace("vert_start = h\n", "vert_start = h * stride\n") \
               .replace("horiz_start = w\n", "horiz_start = w * stride\n") == solution


def test_the_sandbox_program_defines_every_case_by_its_identifier():
    assignment = "assignment1"
    rows = CATALOGUE[assignment][:3]
    namespace = catalogue.learner([catalogue.sandbox_program(rows, assignment)])
    for case in rows:
        assert namespace[catalogue.identifier(case)].__name__ == case.check
    assert "learner" not in namespace  # only the cases are the learner's functions


def test_conv_single_step_variants_return_the_types_they_claim():
    a, W, b = np.ones((2, 2, 1)), np.ones((2, 2, 1)), np.ones((1, 1, 1))
    assert type(code("conv_single_step-np.float64")(a, W, b)) is np.float64
    assert type(code("conv_single_step-python-float")(a, W, b)) is float


def test_argmax_pool_backward_matches_at_no_tie():
    # The argmax version passes only because the public pool_backward data has no
    # ties; make that an explicit assumption rather than a silent one.
    from cnnbook.suites import assignment1 as a1

    for case, (dA, (A_prev, hp), mode) in a1.pool_backward_cases().items():
        f, s = hp["f"], hp["stride"]
        windows = sliding_window_view(A_prev, (f, f), axis=(1, 2))[:, ::s, ::s]
        tops = (windows == windows.max(axis=(4, 5), keepdims=True)).sum(axis=(4, 5))
        assert np.all(tops == 1), case


def test_the_published_bias_bug_is_reproduced_and_caught():
    """One published solution printed mean(Z) = 0.15585932488906465 for the course's input with
    pad 2 and stride 1: that is the bias-in-the-sum bug, not a correct layer."""
    conv_forward_bias_in_sum = code("conv_forward-bias-in-sum")
    np.random.seed(1)
    A_prev, W, b = np.random.randn(10, 4, 4, 3), np.random.randn(2, 2, 3, 8), np.random.randn(1, 1, 1, 8)
    Z, _ = conv_forward_bias_in_sum(A_prev, W, b, {"pad": 2, "stride": 1})
    assert np.isclose(np.mean(Z), 0.15585932488906465, rtol=1e-12)
    with pytest.raises(AssertionError, match="b was added to every element"):
        check("conv_forward", conv_forward_bias_in_sum)

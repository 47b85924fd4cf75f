"""The checker itself: what it accepts, how it reports, how it swaps helpers."""

import numpy as np
import pytest

import public_tests
from cnnbook import checker
from cnnbook.checker import CheckFailed, check, check_note
from instructor import oracles, solutions

GRADED = oracles.GRADED
# Assignment 2's exercises and their public test functions.
FAST = {"im2col": "im2col_test", "col2im": "col2im_test", "Convolution": "convolution_test",
        "MaxPool": "maxpool_test", "AvgPool": "avgpool_test"}
TRAIN = {"Relu": "relu_test", "Dense": "dense_test", "SoftmaxCrossEntropy": "softmax_cross_entropy_test",
         "SimpleCNN": "simple_cnn_test", "sgd_step": "sgd_step_test"}
TESTS = {**{n: f"{n}_test" for n in GRADED}, **FAST, **TRAIN}


@pytest.fixture(scope="module")
def solution():
    # Assignment 3 also defines the given Convolution and MaxPool: Assignment 2's win here.
    return {**solutions.load("assignment3"), **solutions.load("assignment1"),
            **solutions.load("assignment2")}


def test_every_graded_function_has_a_public_test():
    assert sorted(public_tests.__all__) == sorted(TESTS.values())
    for name in TESTS:
        assert checker.available_suites(name) == ["hidden", "public"]


@pytest.mark.parametrize("name", GRADED)
@pytest.mark.parametrize("suite", ["public", "hidden"])
def test_oracles_pass(name, suite, capsys):
    check(name, getattr(oracles, name), suite=suite)
    assert f"{name} passes" in capsys.readouterr().out


@pytest.mark.parametrize("name", TESTS)
@pytest.mark.parametrize("suite", ["public", "hidden"])
def test_solutions_pass(solution, name, suite, capsys):
    check(name, solution[name], suite=suite)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and f"{name} passes" in out[0]


@pytest.mark.parametrize("name", TESTS)
def test_public_test_function_prints_one_line(solution, name, capsys):
    getattr(public_tests, TESTS[name])(solution[name])
    assert capsys.readouterr().out.count("\n") == 1


def test_public_tests_leave_the_global_seed_alone(solution):
    np.random.seed(123)
    first = np.random.rand()
    np.random.seed(123)
    public_tests.conv_forward_test(solution["conv_forward"])
    assert np.random.rand() == first


def test_failure_renders_as_one_line():
    def conv_single_step(a_slice_prev, W, b):
        raise NotImplementedError()
    with pytest.raises(CheckFailed) as err:
        check("conv_single_step", conv_single_step)
    lines = err.value._render_traceback_()
    assert len(lines) == 1 and "conv_single_step is not implemented yet" in lines[0]


def test_not_a_function():
    with pytest.raises(CheckFailed, match=r"expects your function itself, as in zero_pad_test\(zero_pad\)"):
        check("zero_pad", None)


def test_unknown_exercise_and_suite():
    with pytest.raises(CheckFailed, match="no exercise"):
        check("conv_sideways", lambda: None)
    with pytest.raises(CheckFailed, match="no 'secret' tests"):
        check("zero_pad", np.pad, suite="secret")


def test_error_names_the_learners_line():
    def zero_pad(X, pad):
        widths = ((0, 0), (pad, pad), (pad, pad))
        return np.pad(X, widths)
    with pytest.raises(CheckFailed) as err:
        check("zero_pad", zero_pad)
    assert "zero_pad raised ValueError" in str(err.value)
    assert "line" in str(err.value) and "np.pad(X, widths)" in str(err.value)


def test_reference_helpers_are_swapped_in(solution, capsys):
    """conv_forward is judged on its own: a broken zero_pad in its globals does not matter,
    but its line says that it passed only with correct helpers in place of the learner's."""
    env = {"np": np, "zero_pad": lambda X, pad: X, "conv_single_step": lambda a, W, b: 0.0}
    exec(solutions_source("conv_forward"), env)
    note = check_note("conv_forward", env["conv_forward"])
    line = capsys.readouterr().out
    assert ("conv_forward passes all public tests, but only with a correct zero_pad and "
            "conv_single_step in place of yours: your zero_pad and conv_single_step fail their "
            "own checks") in line
    assert note in line


def test_a_helper_whose_check_breaks_does_not_fail_the_function_that_calls_it(capsys):
    """A zero_pad returning an object its own check cannot even compare (it raises) costs
    zero_pad only: conv_forward, run with a correct zero_pad, passes and names it."""
    import classroom
    env = {"np": np}
    exec(classroom.LIAR_OBJECT, env)
    sol = classroom.answer_sources()
    exec(sol["conv_single_step"], env)
    exec(sol["conv_forward"], env)
    note = check_note("conv_forward", env["conv_forward"])
    assert "your zero_pad fails its own check" in note and note in capsys.readouterr().out


def test_a_swap_of_passing_helpers_says_nothing(solution, capsys):
    env = {"np": np, "zero_pad": solution["zero_pad"], "conv_single_step": solution["conv_single_step"]}
    exec(solutions_source("conv_forward"), env)
    assert check_note("conv_forward", env["conv_forward"]) == ""
    assert check("conv_forward", env["conv_forward"]) is None  # a test cell's last line shows no value
    assert "\x1b[92mconv_forward passes all public tests.\x1b[0m" in capsys.readouterr().out


def test_a_class_names_its_failing_helper(solution, capsys):
    env = {"np": np, "__name__": "learner", "im2col": solution["im2col"],
           "col2im": lambda col, shape, *a: np.zeros(shape)}
    exec(solutions_source("Convolution", "assignment2"), env)
    check("Convolution", env["Convolution"])
    assert ("Convolution passes all public tests, but only with a correct col2im in place of "
            "yours: your col2im fails its own check") in capsys.readouterr().out


def test_without_references_a_broken_helper_is_blamed(monkeypatch, solution):
    monkeypatch.setattr(checker, "_REFERENCE", {})
    env = {"np": np, "zero_pad": lambda X, pad: X, "conv_single_step": solution["conv_single_step"]}
    exec(solutions_source("conv_forward"), env)
    with pytest.raises(CheckFailed, match="conv_forward calls your zero_pad, which does not pass "
                                          "zero_pad_test yet"):
        check("conv_forward", env["conv_forward"])
    env["zero_pad"] = solution["zero_pad"]
    check("conv_forward", env["conv_forward"])


def test_a_class_is_judged_with_reference_helpers(solution):
    """Convolution's methods get correct im2col and col2im, whatever the notebook defines."""
    env = {"np": np, "__name__": "learner", "im2col": lambda *a: None, "col2im": lambda *a: None}
    exec(solutions_source("Convolution", "assignment2"), env)
    check("Convolution", env["Convolution"])


def test_without_references_a_class_blames_its_broken_helper(monkeypatch, solution):
    monkeypatch.setattr(checker, "_REFERENCE", {})
    env = {"np": np, "__name__": "learner", "im2col": solution["im2col"],
           "col2im": lambda col, shape, *a: np.zeros(shape)}
    exec(solutions_source("Convolution", "assignment2"), env)
    with pytest.raises(CheckFailed, match="Convolution calls your col2im, which does not pass"):
        check("Convolution", env["Convolution"])


def solutions_source(name, assignment="assignment1"):
    for _, source in solutions.solution_cells(assignment):
        if f"def {name}(" in source or f"class {name}:" in source:
            return source
    raise LookupError(name)

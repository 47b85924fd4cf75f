"""What the suites are written with: the failures a check raises, the registry of
exercises, suites and reference helpers, calling the learner's code, and the assertions.

The suites (``cnnbook.suites`` and the instructor's hidden ones) import this module;
:mod:`cnnbook.checker` imports the suites and runs them. So imports run one way:
checker -> suites -> checks.
"""

from __future__ import annotations

import contextvars
import copy
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from cnnbook import drawing, rebinding


class CheckFailed(AssertionError):
    """A failed check. In a notebook it shows as one line, without a traceback, followed by
    ``figure`` (SVG text: the learner's array against the expected one) when there is one."""

    figure: str | None = None

    def _render_traceback_(self):
        # IPython calls this instead of printing the traceback (more than once for one error).
        if self.figure and not getattr(self, "_figure_shown", False):
            self._figure_shown = True
            _show_after_cell(self.figure)
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


# What a front end without SVG shows of a failed check's figure.
FIGURE_TEXT = "(a figure of your result against the expected one)"


def _show_after_cell(svg: str) -> None:
    """Display ``svg`` once the running notebook cell has shown its error: below the check's
    line, in the same cell (and so in nbgrader's feedback of a stock autograde)."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return  # a terminal shows no SVG

    def show(result=None):
        shell.events.unregister("post_run_cell", show)
        try:
            display({"image/svg+xml": svg, "text/plain": FIGURE_TEXT}, raw=True)
        except Exception:  # a figure that cannot be shown costs the learner nothing: the line is there
            pass

    shell.events.register("post_run_cell", show)


class NotImplementedYet(CheckFailed):
    pass


@dataclass
class Exercise:
    name: str
    # Earlier exercises this one is expected to call. When reference helpers are
    # available they are swapped in, so a mistake in a helper costs its own
    # points only.
    helpers: tuple[str, ...] = ()
    suites: dict[str, Callable] = field(default_factory=dict)


_EXERCISES: dict[str, Exercise] = {}
_REFERENCE: dict[str, Callable] = {}


def exercise(name: str, helpers: tuple[str, ...] = ()) -> Exercise:
    """Declare an exercise (idempotent) and return it."""
    ex = _EXERCISES.setdefault(name, Exercise(name, tuple(helpers)))
    if helpers:
        ex.helpers = tuple(helpers)
    return ex


def register_suite(name: str, suite: str = "public"):
    """Decorator: register ``fn(target)`` as the ``suite`` checks of exercise ``name``."""
    def decorate(fn):
        exercise(name).suites[suite] = fn
        return fn
    return decorate


def register_reference(name: str, fn: Callable) -> None:
    """Make a correct implementation of ``name`` available to swap in as a helper."""
    _REFERENCE[name] = fn


# Helpers for writing suites -------------------------------------------------

def call(name: str, target, *args, case: str = "", on_error: Callable | None = None):
    """Call the learner's function on deep copies of args.

    Returns (result, copies). An exception from the learner's code becomes a
    CheckFailed naming the line of the learner's code where it was raised, with
    the hint ``on_error(err)`` gives for this case, if any.
    """
    copies = copy.deepcopy(args)
    where = f" on the case {case}" if case else ""
    try:
        result = target(*copies)
    except NotImplementedError:
        raise NotImplementedYet(f"{name} is not implemented yet: write your code between "
                                "### START CODE HERE ### and ### END CODE HERE ###") from None
    except CheckFailed:
        raise
    except Exception as err:  # the learner's bug, reported as one line
        hint = _error_hint(err) or (on_error(err) if on_error else "")
        raise CheckFailed(f"{name} raised {type(err).__name__}{where}: {err}"
                          f"{learner_line(err)}" + (f". Hint: {hint}" if hint else "")) from None
    for i, (before, after) in enumerate(zip(args, copies)):
        if not _same(before, after):
            raise CheckFailed(f"{name} changed its input (argument {i + 1}){where}. "
                              "Work on a copy or build a new array (np.zeros, np.pad) "
                              "instead of writing into the input.")
    return result, copies


def construct(name: str, cls, *args):
    """The learner's ``cls(*args)``, with a stub or a failing constructor reported as a check."""
    try:
        return cls(*args)
    except NotImplementedError:
        raise NotImplementedYet(f"{name} is not implemented yet") from None
    except Exception as err:
        shown = ", ".join(_short(a) for a in args)
        raise CheckFailed(f"{name}({shown}) could not be created: {type(err).__name__}: {err}") from None


def _short(value) -> str:
    """An argument as a message shows it: arrays by their shape, dicts of them by key."""
    if isinstance(value, np.ndarray):
        return f"array{np.shape(value)}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_short(v)}" for k, v in value.items()) + "}"
    return repr(value)


def assert_gradients(name: str, layer, x, case: str, seed: int = 3, threshold: float = 1e-6) -> None:
    """A layer's backward pass agrees with centred differences of its forward pass."""
    from cnnbook.gradcheck import gradient_check

    try:
        errors = gradient_check(layer, x, seed=seed, verbose=False)
    except NotImplementedError:
        raise NotImplementedYet(f"{name} is not implemented yet") from None
    except Exception as err:
        raise CheckFailed(f"{name}: the gradient check raised {type(err).__name__}: {err}") from None
    bad = {k: v for k, v in errors.items() if not v < threshold}
    if bad:
        raise case_failed(name, case, "backward disagrees with a numerical gradient: "
                          + ", ".join(f"{k} relative error {v:.1e}" for k, v in bad.items()))


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return a == b


# The runner of the check under way (rebinding.Runner): this process in a notebook, the
# learner's process in the grader. ``checker.check`` sets it from the function it checks.
RUNNER: contextvars.ContextVar[rebinding.Runner] = contextvars.ContextVar("cnnbook_runner",
                                                                          default=rebinding.LOCAL)


def raising_frames(err: BaseException) -> list[rebinding.Frame]:
    """The calls err came through, outermost first, with the variables of each: for hints
    that depend on which call of the learner's raised."""
    return RUNNER.get().raising_frames(err)


def learner_line(err: BaseException) -> str:
    """' (at line N: code)' for the innermost frame that is the learner's code."""
    # Frames of numpy, of this package and of the reference helpers swapped in are not the learner's.
    mine = [f for f in raising_frames(err) if "site-packages" not in f.filename
            and not any(d in f.filename.replace("\\", "/") for d in ("/cnnbook/", "/instructor/"))
            and not f.filename.startswith("<frozen")]
    if not mine:
        return ""
    f = mine[-1]
    code = f" `{f.line.strip()}`" if f.line.strip() else ""
    return f" (in {f.function}, line {f.lineno}:{code})"


def _error_hint(err: BaseException) -> str:
    text = str(err)
    if isinstance(err, TypeError) and "0-dimensional" in text:
        return ("b has shape (1, 1, 1); float(b) no longer works on such an array "
                "from numpy 2.4 on, use b.item() to get the number")
    if isinstance(err, TypeError) and "interpreted as an integer" in text:
        return "sizes must be whole numbers: take the floor with int() or //"
    if isinstance(err, KeyError):
        return "read the hyperparameters with the keys the docstring names"
    return ""


def case_failed(name: str, case: str, what: str, hint: str = "") -> CheckFailed:
    return CheckFailed(f"{name}: {what} on the case {case}." + (f" Hint: {hint}" if hint else ""))


RTOL, ATOL = 1e-6, 1e-7


def close(got, expected, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Same shape and equal within the tolerance every check uses."""
    got = np.asarray(got, dtype=float)
    return got.shape == np.shape(expected) and np.allclose(got, expected, rtol=rtol, atol=atol)


def assert_shape(name: str, case: str, got, expected, label: str = "the result",
                 hint: str = "") -> None:
    """That there is a result, of numbers, of the expected shape (``hint`` if the shape is wrong)."""
    if got is None:
        raise NotImplementedYet(f"{name} is not implemented yet: {label} is None")
    got = np.asarray(got)
    if got.shape != np.shape(expected):
        raise case_failed(name, case, f"{label} has shape {got.shape}, expected {np.shape(expected)}",
                          hint)
    if not np.issubdtype(got.dtype, np.number) and got.dtype != bool:
        raise case_failed(name, case, f"{label} has dtype {got.dtype}, expected numbers")


def assert_same_array(name: str, case: str, got, expected, label: str = "the result",
                      hint: str = "", rtol: float = RTOL, atol: float = ATOL) -> None:
    """Shape then values, with a tolerance: another summation order is not a mistake."""
    assert_shape(name, case, got, expected, label, hint)
    got = np.asarray(got).astype(float)
    expected = np.asarray(expected)
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        bad = np.argwhere(~np.isclose(got, expected, rtol=rtol, atol=atol))
        idx = tuple(int(i) for i in bad[0])
        failed = case_failed(name, case,
                             f"{label} is wrong at {len(bad)} of {expected.size} positions, "
                             f"first at index {idx}: got {float(got[idx]):.8g}, "
                             f"expected {float(expected[idx]):.8g}", hint)
        failed.figure = _mismatch_figure(got, expected, label, rtol, atol)
        raise failed


def _mismatch_figure(got, expected, label: str, rtol: float, atol: float) -> str | None:
    """The figure of a failed comparison, or None: drawing never hides the check's message."""
    try:
        return drawing.mismatch_figure(got, expected, label, rtol, atol)
    except Exception:
        return None

"""The checker that the public tests and the graded test cells share.

Every check of a learner's function goes through :func:`check`:

    check("conv_forward", conv_forward)                  # the public suite
    check("conv_forward", conv_forward, suite="hidden")  # the instructor's suite

A suite is a function ``suite(target)`` registered under an exercise's name. It
raises :class:`CheckFailed` with a message that says what is wrong and where to
look. The public suites live in this package; hidden suites and reference
helpers are plugged in by the instructor package through the entry-point group
``cnnbook.graders`` and are absent from the student bundle.
"""

from __future__ import annotations

import copy
import traceback
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Callable

import numpy as np

from cnnbook import rebinding

__all__ = ["CheckFailed", "Exercise", "check", "exercise", "register_suite",
           "register_reference", "call", "construct", "close", "assert_shape", "assert_same_array",
           "assert_gradients", "case_failed"]


class CheckFailed(AssertionError):
    """A failed check. In a notebook it shows as one line, without a traceback."""

    def _render_traceback_(self):
        # IPython calls this instead of printing the traceback.
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


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


# The name the out-of-kernel grader binds in the globals of its stand-ins for a learner's functions.
GRADER_HOOK = "__cnnbook_call__"

_EXERCISES: dict[str, Exercise] = {}
_REFERENCE: dict[str, Callable] = {}
_plugins_loaded = False


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


SKIPPED_PLUGINS: dict[str, str] = {}  # plugin -> why it was not loaded


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for ep in entry_points(group="cnnbook.graders"):
        try:
            register = ep.load()
        except ModuleNotFoundError as err:
            # The instructor's package itself absent (a bundle beside an old install) is no
            # error; a plugin that is there but breaks on import is: grading needs it.
            if err.name and (ep.module == err.name or ep.module.startswith(err.name + ".")):
                SKIPPED_PLUGINS[ep.name] = f"{ep.module} is not installed here"
                continue
            raise
        register()


def load_plugins() -> None:
    """Load the instructor's plugins (hidden suites, references, the explorers' oracles) where
    they are installed; nothing in a student bundle."""
    _load_plugins()


def _ensure_suites_imported() -> None:
    # The public suites register themselves on import.
    from cnnbook import suites  # noqa: F401


def available_suites(name: str) -> list[str]:
    _ensure_suites_imported()
    _load_plugins()
    return sorted(_EXERCISES[name].suites) if name in _EXERCISES else []


def check(name: str, target, suite: str = "public", quiet: bool = False) -> str:
    """Run the ``suite`` checks of exercise ``name`` on the learner's function ``target``.

    Raises CheckFailed on the first problem found; prints one line on success. Returns a note,
    empty unless the check passed only with a correct helper swapped in for one of the
    learner's that fails its own check (the line printed says so too).
    """
    _ensure_suites_imported()
    _load_plugins()
    if name not in _EXERCISES:
        raise CheckFailed(f"there is no exercise called {name!r}")
    ex = _EXERCISES[name]
    if suite not in ex.suites:
        if suite == "hidden":
            raise CheckFailed(f"the hidden tests of {name} are only installed on the "
                              "instructor's machine")
        raise CheckFailed(f"{name} has no {suite!r} tests")
    if target is None or not callable(target):
        raise CheckFailed(f"{name}_test expects your function itself, as in "
                          f"{name}_test({name}); it got {target!r}")
    target, note = _with_helpers(ex, target, explain=suite == "public")
    try:
        ex.suites[suite](target)
    except NotImplementedYet:
        raise
    except CheckFailed as err:
        # Re-raised from here so that the message stays one short line.
        raise CheckFailed(str(err)) from None
    if not quiet:
        what = "all public tests" if suite == "public" else f"the {suite} tests"
        if note:
            print(f"\x1b[93m{name} passes {what}, {note}\x1b[0m")
        else:
            print(f"\x1b[92m{name} passes {what}.\x1b[0m")
    return note


def _with_helpers(ex: Exercise, target, explain: bool = True):
    """Return target with earlier exercises' functions it uses replaced by references.

    ``target`` is a function or a class (whose methods are rebuilt the same way).
    Where no reference is installed (the student bundle), the learner's own
    helpers are checked first, so that a failure is blamed on the right function.
    """
    used = [h for h in ex.helpers if h in rebinding.names_used(target)]
    if not used:
        return target, ""
    if all(h in _REFERENCE for h in used):
        swapped = rebinding.with_globals(target, {h: _REFERENCE[h] for h in used})
        return swapped, _failing_helpers_note(target, used) if explain else ""
    env = next(iter(rebinding.functions(target).values())).__globals__
    for h in used:
        helper = env.get(h)
        if helper is None:
            continue  # a NameError will point at it when the target runs
        try:
            check(h, helper, quiet=True)
        except CheckFailed as err:
            raise CheckFailed(f"{ex.name} calls your {h}, which does not pass "
                              f"{h}_test yet ({err}). Fix {h} first.") from None
    return target, ""


def _failing_helpers_note(target, used: list[str]) -> str:
    """What to say when correct helpers stood in for the learner's: which of the learner's
    own helpers fail their public check (empty if none does, or if they are not defined)."""
    env = next(iter(rebinding.functions(target).values())).__globals__
    if GRADER_HOOK in env:
        # The grader's stand-in for a learner's function (instructor/grading/checking.py): its
        # helpers live in another process, and checking them again there would cost the test
        # cell a second check over the wire. The grader reports each helper's own failure.
        return ""
    failing = []
    for h in used:
        helper = env.get(h)
        if helper is None or not callable(helper):
            continue
        try:
            check(h, helper, quiet=True)
        except CheckFailed as err:
            failing.append((h, str(err)))
    if not failing:
        return ""
    names = " and ".join(h for h, _ in failing)
    mine = getattr(target, "__name__", "function")
    return (f"but only with a correct {names} in place of yours: your {names} "
            f"{'fails its own check' if len(failing) == 1 else 'fail their own checks'}, so your {mine}, "
            f"which calls {'it' if len(failing) == 1 else 'them'}, does not give the right results yet. "
            f"Fix {names} first.")


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


def raising_frames(err: BaseException) -> list:
    """The frames of err's traceback, outermost first, with the variables of each call:
    for hints that depend on which call of the learner's raised."""
    frames, tb = [], err.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


def learner_line(err: BaseException) -> str:
    """' (at line N: code)' for the innermost frame that is the learner's code."""
    frames = traceback.extract_tb(err.__traceback__)
    # Frames of numpy, of this package and of the reference helpers swapped in are not the learner's.
    mine = [f for f in frames if "site-packages" not in f.filename
            and not any(d in f.filename.replace("\\", "/") for d in ("/cnnbook/", "/instructor/"))
            and not f.filename.startswith("<frozen")]
    if not mine:
        return ""
    f = mine[-1]
    code = f" `{f.line.strip()}`" if f.line else ""
    return f" (in {f.name}, line {f.lineno}:{code})"


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
        raise case_failed(name, case,
                          f"{label} is wrong at {len(bad)} of {expected.size} positions, "
                          f"first at index {idx}: got {float(got[idx]):.8g}, "
                          f"expected {float(expected[idx]):.8g}", hint)

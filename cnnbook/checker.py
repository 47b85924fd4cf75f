"""The checker that the public tests and the graded test cells share.

Every check of a learner's function goes through :func:`check`:

    check("conv_forward", conv_forward)                  # the public suite
    check("conv_forward", conv_forward, suite="hidden")  # the instructor's suite

A suite is a function ``suite(target)`` registered under an exercise's name. It
raises :class:`CheckFailed` with a message that says what is wrong and where to
look. The public suites live in this package; hidden suites and reference
helpers are plugged in by the instructor package through the entry-point group
``cnnbook.graders`` and are absent from the student bundle. Suites are written with
:mod:`cnnbook.checks` (re-exported here); this module imports the suites, never the reverse.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from cnnbook import rebinding
from cnnbook.checks import (ATOL, RTOL, RUNNER, CheckFailed, Exercise,  # noqa: F401 (re-exported)
                            NotImplementedYet, _EXERCISES, _REFERENCE, assert_gradients, assert_same_array,
                            assert_shape, call, case_failed, close, construct, exercise, learner_line,
                            raising_frames, register_reference, register_suite)

__all__ = ["CheckFailed", "Exercise", "check", "exercise", "register_suite",
           "register_reference", "call", "construct", "close", "assert_shape", "assert_same_array",
           "assert_gradients", "case_failed"]


_plugins_loaded = False
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


def check(name: str, target, suite: str = "public", quiet: bool = False) -> None:
    """Run the ``suite`` checks of exercise ``name`` on the learner's function ``target``.

    Raises CheckFailed on the first problem found; prints one line on success. Returns
    nothing: a test cell's last line is a call of it, and nbgrader would read a value there
    as partial credit.
    """
    check_note(name, target, suite, quiet)


def check_note(name: str, target, suite: str = "public", quiet: bool = False) -> str:
    """``check``, returning a note: empty unless the check passed only with a correct helper
    swapped in for one of the learner's that fails its own check (the line printed says so)."""
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
    runner = rebinding.runner_of(target)  # this process, or the grader's way to the learner's
    swapped, note, used = _with_helpers(ex, target, runner, explain=suite == "public")
    running = RUNNER.set(runner)
    try:
        if swapped is not target and runner.helpers_passed(used):
            # The learner's own helpers passed their checks: try them first, as they cost no
            # calls back to the grader's references; only a failure is checked again with those.
            try:
                ex.suites[suite](target)
            except Exception:
                ex.suites[suite](swapped)
        else:
            ex.suites[suite](swapped)
    except NotImplementedYet:
        raise
    except CheckFailed as err:
        # Re-raised from here so that the message stays one short line. A public case's figure
        # goes with it; a hidden case's never (it would show the hidden case's values).
        failed = CheckFailed(str(err))
        failed.figure = err.figure if suite == "public" else None
        raise failed from None
    finally:
        RUNNER.reset(running)
    if not quiet:
        what = "all public tests" if suite == "public" else f"the {suite} tests"
        if note:
            print(f"\x1b[93m{name} passes {what}, {note}\x1b[0m")
        else:
            print(f"\x1b[92m{name} passes {what}.\x1b[0m")
    return note


def _with_helpers(ex: Exercise, target, runner: rebinding.Runner, explain: bool = True):
    """Return target with earlier exercises' functions it uses replaced by references, the
    note to print, and the names of those functions.

    ``target`` is a function or a class (whose methods are rebuilt the same way).
    Where no reference is installed (the student bundle), the learner's own
    helpers are checked first, so that a failure is blamed on the right function.
    """
    used = [h for h in ex.helpers if h in runner.names_used(target)]
    if not used:
        return target, "", used
    if all(h in _REFERENCE for h in used):
        swapped = runner.with_globals(target, {h: _REFERENCE[h] for h in used})
        return swapped, _failing_helpers_note(target, used, runner) if explain else "", used
    env = runner.own_globals(target) or {}
    for h in used:
        helper = env.get(h)
        if helper is None:
            continue  # a NameError will point at it when the target runs
        try:
            check(h, helper, quiet=True)
        except CheckFailed as err:
            raise CheckFailed(f"{ex.name} calls your {h}, which does not pass "
                              f"{h}_test yet ({err}). Fix {h} first.") from None
    return target, "", used


def _failing_helpers_note(target, used: list[str], runner: rebinding.Runner) -> str:
    """What to say when correct helpers stood in for the learner's: which of the learner's
    own helpers fail their public check (empty if none does, or if they are not defined)."""
    env = runner.own_globals(target)
    if env is None:
        # The grader's runner: the helpers live in another process, and checking them again
        # there would cost the test cell a second check over the wire. The grader reports
        # each helper's own failure.
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
        except Exception as err:  # a helper whose own check breaks on it fails it all the same
            failing.append((h, f"{type(err).__name__}: {err}"))
    if not failing:
        return ""
    names = " and ".join(h for h, _ in failing)
    mine = getattr(target, "__name__", "function")
    return (f"but only with a correct {names} in place of yours: your {names} "
            f"{'fails its own check' if len(failing) == 1 else 'fail their own checks'}, so your {mine}, "
            f"which calls {'it' if len(failing) == 1 else 'them'}, does not give the right results yet. "
            f"Fix {names} first.")

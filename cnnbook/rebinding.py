"""A learner's function or class run with some of its global names bound to other objects.

This is how a check swaps correct helpers in for the learner's (im2col inside a layer,
say), so that one mistake costs one exercise. The checker does it in the learner's kernel,
the grader's sandbox in the learner's process; both use this module, so both judge alike.
Only the standard library is used here: the sandbox loads it before it closes itself in.

The checker reaches a learner's code through a ``Runner``: the names a function uses, the
function with helpers swapped, and the calls an error came through (``Frame``). In a
notebook that is ``LOCAL``, this process; the grader gives its stand-ins for a learner's
functions a runner of its own (``instructor/grading/checking.py``) that asks the learner's
process the same questions, so that every check and hint reads the same in both.
"""

from __future__ import annotations

import linecache
import types
from dataclasses import dataclass


def functions(target) -> dict[str, types.FunctionType]:
    """The code a swap rebuilds: a function as {"": function}, a class as its methods by name."""
    if isinstance(target, types.FunctionType):
        return {"": target}
    if isinstance(target, type):
        return {k: v for k, v in vars(target).items() if isinstance(v, types.FunctionType)}
    return {}


def names_used(target) -> set[str]:
    """The global and attribute names that a function's code, or a class's methods, use."""
    seen: set[int] = set()
    return set().union(*(_code_names(f.__code__, seen) for f in functions(target).values()))


def with_globals(target, replace: dict):
    """``target`` with the global names of ``replace`` bound to its objects: a function
    rebuilt, a class subclassed with every method rebuilt (its instances are still instances
    of the learner's class), anything else as it is."""
    rebuilt = {k: _rebind(f, replace) for k, f in functions(target).items()}
    if isinstance(target, types.FunctionType):
        return rebuilt[""]
    if isinstance(target, type):
        return type(target.__name__, (target,), {"__module__": target.__module__, **rebuilt})
    return target


def _rebind(fn: types.FunctionType, replace: dict) -> types.FunctionType:
    env = dict(fn.__globals__)
    env.update(replace)
    new = types.FunctionType(fn.__code__, env, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__qualname__ = fn.__qualname__
    return new


def _code_names(code: types.CodeType, seen: set[int]) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType) and id(const) not in seen:
            seen.add(id(const))
            names |= _code_names(const, seen)
    return names


@dataclass
class Frame:
    """One call on the way to an error, outermost first: where it was, and its variables."""
    filename: str
    function: str
    lineno: int
    line: str
    locals: dict


class Runner:
    """How the checker reaches a learner's function or class: here, in this process."""

    def names_used(self, target) -> set[str]:
        return names_used(target)

    def with_globals(self, target, replace: dict):
        return with_globals(target, replace)

    def own_globals(self, target) -> dict | None:
        """The learner's names as ``target`` sees them (to check its own helpers), or None
        where checking them again would cost another round of calls."""
        found = functions(target)
        return next(iter(found.values())).__globals__ if found else None

    def helpers_passed(self, names) -> bool:
        """Whether the learner's own ``names`` already passed their checks in this run (the
        grader's runner knows; here nobody does). Then the checker tries the learner's function
        with them first, and swaps in references only if that fails."""
        return False

    def raising_frames(self, err: BaseException) -> list[Frame]:
        """The calls of err's traceback, outermost first."""
        frames, tb = [], err.__traceback__
        while tb is not None:
            frame, code = tb.tb_frame, tb.tb_frame.f_code
            linecache.lazycache(code.co_filename, frame.f_globals)  # as traceback.extract_tb does
            linecache.checkcache(code.co_filename)
            frames.append(Frame(code.co_filename, code.co_name, tb.tb_lineno,
                                linecache.getline(code.co_filename, tb.tb_lineno), frame.f_locals))
            tb = tb.tb_next
        return frames


LOCAL = Runner()
RUNNER_ATTRIBUTE = "__cnnbook_runner__"  # a function that another runner reaches carries it


def runner_of(target) -> Runner:
    runner = getattr(target, RUNNER_ATTRIBUTE, None) if isinstance(target, types.FunctionType) else None
    return runner if isinstance(runner, Runner) else LOCAL

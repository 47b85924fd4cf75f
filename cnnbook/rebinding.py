"""A learner's function or class run with some of its global names bound to other objects.

This is how a check swaps correct helpers in for the learner's (im2col inside a layer,
say), so that one mistake costs one exercise. The checker does it in the learner's kernel,
the grader's sandbox in the learner's process; both use this module, so both judge alike.
Only the standard library is used here: the sandbox loads it before it closes itself in.
"""

from __future__ import annotations

import types


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

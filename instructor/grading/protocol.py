"""The protocol between the grader and a learner's process: who sends what, in which
order, and what each side trusts. Loaded by both processes (the learner's process loads
this file by path: standard library only).

Processes and pipes. The grader (``sandbox.Sandbox``) starts the learner's process
(``sandbox_child``) with two pipes. Every message is one frame (``wire.write_frame``: an
8-byte little-endian length, then the payload). After the setup, every payload, both ways,
is one value of the data-only codec ``wire.encode`` (None, numbers, strings, bytes, lists,
tuples, dicts, slices, ranges, numeric arrays, scalars and dtypes, and references: to a
shared array, to an object that stays with its owner, to a builtin or numpy type the
grader names): a tuple whose first item is its kind, one of the names below.

Order.

1. grader -> learner: the setup, as JSON (limits, paths, the bounds to apply).
2. learner -> grader: ``ready`` (applied: what the bounds did, with ``protocol``: VERSION)
   or ``failed`` (a traceback: the setup failed before any learner code ran).
3. Then strictly request / answer, the grader asking:

   ==========================  =====================================================
   grader sends                learner answers
   ==========================  =====================================================
   ``cells`` [(index, src)]    one ``cell`` (index, run) per cell, in the order sent,
                               then ``cells_done`` (names: what the cells defined)
   ``get`` name                ``value`` (value, changes)
   ``call`` target, args,      ``return`` (result, args, kwargs, changes) or ``raise``
   kwargs, helpers, sync       (error, changes); meanwhile, any number of questions
   ``getattr`` handle, name,   ``value`` (value, changes) or ``raise``
   sync
   ``setattr`` handle, name,   ``value`` (None, changes) or ``raise``
   value, sync
   ``probe`` targets           ``probe`` (report)
   ``exit``                    nothing: the process ends
   ==========================  =====================================================

   While a ``call``, ``getattr`` or ``setattr`` runs, the learner's code may ask the
   grader: ``callback`` (helper, args, kwargs: a reference helper swapped in for one of
   the learner's own), ``grader_call`` (handle, args, kwargs) or ``grader_getattr``
   (handle, public name) on one of the grader's objects it was given in this request.
   The grader answers each with ``reply`` (value) or ``error`` (ename, args, and an id).

   A ``raise`` carries the error: its class name, arguments and a short traceback, and the
   calls it came through (``frames``: file, function, line, its text and the variables of
   each call, outermost first; the learner's process leaves its own calls out) and, when
   it is one of the grader's ``error`` answers passed through, that answer's id: the
   checker's hints read the calls as in a notebook (``checking.RemoteRunner``).

Shared arrays and objects (``shared``). The last item of ``call``, ``getattr`` and
``setattr`` is what the grader changed in the arrays both sides hold, and the tokens it
dropped; the last item of each answer is what the learner's code changed in them. Tokens
and handles made by the grader are > 0, those of the learner's process < 0.

Trust. The learner's process runs code the grader does not trust, and that code can
write to the pipe itself: everything the grader reads is treated as hostile. It is
decoded by ``wire.decode`` (data only: no pickle, no eval; sizes, depth and dtypes
bounded; references only to what the grader handed out, a name refused) and then checked
here (``check_message``, ``check_run``, ``check_names``) before any of it is used: a message of
an unknown kind, out of order, or of the wrong shape ends the learner's process, and the
check running scores 0 with the reason. Time is the grader's: a deadline on every read.
The other way, the learner's process trusts the grader (it does not check the order or
the sizes of its messages), but it too only decodes data with ``wire.decode``: nothing it
receives is unpickled or evaluated, and the grader's objects stay in the grader, used
through stand-ins. Version 2: both directions in the data codec (version 1 sent pickles
from the grader); version 3: a ``raise`` reports the calls it came through.
"""

from __future__ import annotations

VERSION = 3

# grader -> learner
REQUESTS = ("cells", "get", "call", "getattr", "setattr", "probe", "exit")
REPLIES = ("reply", "error")
# learner -> grader
STARTS = ("ready", "failed")
CELL, CELLS_DONE = "cell", "cells_done"
ANSWERS = ("return", "value", "raise")
QUESTIONS = ("callback", "grader_call", "grader_getattr")
PROBE = "probe"
NAME_KINDS = ("function", "callable", "value")


class ProtocolError(Exception):
    """A message the grader refuses: of an unknown kind, out of order, or malformed."""


def _require(ok: bool, what: str) -> None:
    if not ok:
        raise ProtocolError(what)


def check_message(message, expected: tuple[str, ...]) -> str:
    """The kind of ``message`` (a decoded frame), which must be one of ``expected``."""
    _require(isinstance(message, tuple) and len(message) >= 1 and isinstance(message[0], str),
             "a frame that is not a message")
    kind = message[0]
    known = STARTS + (CELL, CELLS_DONE, PROBE) + ANSWERS + QUESTIONS
    _require(kind in known, f"a message of an unknown kind {kind[:40]!r}")
    _require(kind in expected, f"{kind!r} out of order (expected {' or '.join(expected)})")
    return kind


def _is_str_list(value, limit: int) -> bool:
    return isinstance(value, list) and len(value) <= limit and all(isinstance(v, str) for v in value)


def check_error(error) -> dict:
    """What the learner's code raised, as ``sandbox_child.describe_error`` reports it."""
    _require(isinstance(error, dict) and isinstance(error.get("ename"), str)
             and isinstance(error.get("evalue"), str), "a malformed error report")
    _require(_is_str_list(error.get("traceback", []), 100), "a malformed traceback")
    _require(_is_str_list(error.get("bases", []), 100), "malformed error bases")
    _require(isinstance(error.get("args", []), list), "malformed error arguments")
    frames = error.get("frames", [])
    _require(isinstance(frames, list) and len(frames) <= 100 and all(_is_frame(f) for f in frames),
             "malformed error frames")
    cause = error.get("grader_error")
    _require(cause is None or type(cause) is int, "a malformed reference to the grader's error")
    return error


def _is_frame(frame) -> bool:
    """[filename, function, line number, line, variables], as the checker's Frame has them."""
    return (isinstance(frame, list) and len(frame) == 5 and isinstance(frame[0], str)
            and isinstance(frame[1], str) and type(frame[2]) is int and isinstance(frame[3], str)
            and isinstance(frame[4], dict) and all(isinstance(k, str) for k in frame[4]))


def check_run(expected_index: int, message) -> dict:
    """A ``cell`` message: the cell the grader sent next, and what running it printed and
    raised."""
    _require(len(message) == 3, "a malformed cell report")
    _, index, run = message
    _require(type(index) is int and index == expected_index,
             f"a report of cell {index!r} where cell {expected_index} was due")
    _require(isinstance(run, dict) and set(run) <= {"error", "value", "stdout", "stderr"},
             "a malformed cell report")
    for key in ("stdout", "stderr"):
        _require(isinstance(run.get(key, ""), str), f"a malformed cell report ({key})")
    _require(run.get("value") is None or isinstance(run["value"], str), "a malformed cell report (value)")
    if run.get("error") is not None:
        check_error(run["error"])
    return run


def check_names(names) -> dict:
    """A ``cells_done`` message's names: name -> {"kind": ..., "uses": [names]}."""
    _require(isinstance(names, dict), "malformed names")
    for name, info in names.items():
        _require(isinstance(name, str) and isinstance(info, dict) and info.get("kind") in NAME_KINDS
                 and _is_str_list(info.get("uses", []), 10_000), f"a malformed entry for the name {str(name)[:40]!r}")
    return names

"""What the grader and the learner's process share: arrays kept in step, and stand-ins for
the objects that stay in the other process. Written once, used by both sides: the grader
imports it, the learner's process loads it by path (so it imports only the standard
library, and numpy when an array changes).

Arrays. An array that crosses (an argument the grader passes, a value the learner's code
returns) gets a token on both sides, and before and after every request each side sends
the other what changed in it (``changes``, ``apply``). So the learner's code changing its
input, or the grader nudging ``layer.W`` in a gradient check, is seen by the other side as
in one process. The grader keeps only weak references: an array it drops stops being
shared, and it tells the learner's process (``sync``, ``retire``), which keeps the arrays
the grader may still name.

Objects. An object that is not data (a learner's layer, a reference layer the grader swaps
in for a helper) stays in its process and crosses as a handle. The other side holds a
``Stub`` named as the object's type: its attribute reads and calls go back to the owner
(``Shared.peer``); its special methods are the Stub's own, so no ``__eq__`` or ``__array__``
of the other side ever runs here.

Tokens and handles made by the grader are > 0, those made by the learner's process < 0,
so each side knows whose a number is. Everything else that differs between the two sides
is one field of ``Side`` (``GRADER``, ``LEARNER``).

``wire.encode`` and ``wire.decode`` ask a ``Shared`` what to send for an array or an object
that is not data, and what a token, handle or name it receives stands for; a refusal here
(``Refused``, ``KeyError``) becomes a ``wire.WireError``.
"""

from __future__ import annotations

import importlib
import types
import weakref
from dataclasses import dataclass


class Refused(ValueError):
    """A token, handle, name or array change that the other side should not have sent."""


@dataclass(frozen=True)
class Side:
    """The rules one process keeps; the only things in which the two sides differ."""
    peer: str               # the other side, as stubs' reprs name it
    sign: int               # of the tokens and handles made here
    weak: bool              # keeps shared arrays only while its own code does
    sends_names: bool       # sends builtin and numpy types and functions by name, not by handle
    trusts_peer: bool       # takes names, and skips an array change that does not fit, not refusing it
    private: str            # attribute names of the other side's objects that a stub never asks for
    keeps_attributes: bool  # an attribute set on a stub stays on the stub, not sent to the owner


# The grader reads a learner's object's ``_cache`` as a check in a notebook would, and writes
# its attributes there; the learner's code never reads the grader's private attributes, and
# an attribute it sets on one of the grader's objects stays on its stand-in.
GRADER = Side(peer="learner", sign=+1, weak=True, sends_names=True, trusts_peer=False, private="__",
              keeps_attributes=False)
LEARNER = Side(peer="grader", sign=-1, weak=False, sends_names=False, trusts_peer=True, private="_",
               keeps_attributes=True)

# Modules whose types and functions the grader sends by name (``float`` or ``np.float32`` as
# a dtype, say): the learner's process imports them itself.
NAMED_MODULES = ("builtins", "numpy")


def snapshot(arr) -> bytes:
    """An array's dtype, shape and contents: both sides compare snapshots to find what
    changed in the arrays they share since the last exchange."""
    return arr.dtype.str.encode() + repr(arr.shape).encode() + arr.tobytes()


def _resolve(name: str):
    module, _, qualname = name.partition(":")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


class Shared:
    """One side's view of what it shares with the other: arrays by token, its own objects the
    other side holds stubs of (by handle), and whom its stubs call (``peer``: an object with
    ``call(("handle", handle), args, kwargs, context)``, ``getattr(handle, name, context)`` and
    ``setattr(handle, name, value, context)``; the grader's ``checking.RemoteLearner``, or the
    learner's ``sandbox_child.ChildServer``)."""

    def __init__(self, side: Side, peer=None):
        self.side, self.peer = side, peer
        self.context = None                      # given to the peer with each use of a stub made now
        self.arrays: dict[int, list] = {}        # token -> [reference to the array, its snapshot]
        self.tokens: dict[int, int] = {}         # id(array) -> token
        self.retired: list[int] = []             # tokens of arrays dropped since the last sync
        self.objects: dict[int, object] = {}     # handle -> an object of this side the peer holds
        self.handles: dict[int, int] = {}        # id(object) -> handle
        # handle -> the stub of an object of the other side, while in use here: the same
        # object arrives as the same stub ("is" holds, as for a layer in a network's list)
        self.stubs: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self.count = 0

    def _new(self) -> int:
        self.count += 1
        return self.side.sign * self.count

    def _mine(self, number: int) -> bool:
        return number * self.side.sign > 0

    def _register(self, token: int, arr) -> None:
        if self.side.weak:
            ident = id(arr)

            def dropped(_, token=token, ident=ident):
                self.arrays.pop(token, None)
                if self.tokens.get(ident) == token:
                    del self.tokens[ident]
                self.retired.append(token)
            ref = weakref.ref(arr, dropped)
        else:
            def ref(arr=arr):
                return arr
        self.arrays[token] = [ref, snapshot(arr)]
        self.tokens[id(arr)] = token

    # What to send (wire.encode's questions) --------------------------------------------

    def array_token(self, arr) -> tuple[int, bool]:
        """The array's token, and whether the other side knows it already."""
        token = self.tokens.get(id(arr))
        if token is not None:
            return token, True
        token = self._new()
        self._register(token, arr)
        return token, False

    def stub_handle(self, obj):
        """The handle of the other side's object that ``obj`` stands for, or None."""
        return object.__getattribute__(obj, "_handle") if isinstance(obj, Stub) else None

    def name_of(self, obj):
        """A builtin or numpy type or function, by the name the other side imports it by."""
        if not (self.side.sends_names and isinstance(obj, (type, types.BuiltinFunctionType, types.FunctionType))):
            return None
        module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
        if not (isinstance(module, str) and isinstance(qualname, str) and module.split(".")[0] in NAMED_MODULES):
            return None
        name = f"{module}:{qualname}"
        try:
            return name if _resolve(name) is obj else None
        except (ImportError, AttributeError):
            return None

    def handle(self, obj) -> int:
        """A handle for one of this side's objects, which stays here."""
        handle = self.handles.get(id(obj))
        if handle is None:
            handle = self.handles[id(obj)] = self._new()
            self.objects[handle] = obj
        return handle

    # What was received (wire.decode's questions) ----------------------------------------

    def adopt(self, token: int, arr):
        """A new array the other side shares, under its token."""
        if not (type(token) is int and token != 0 and not self._mine(token)) or token in self.arrays:
            raise Refused(f"a shared array with the token {token}")
        self._register(token, arr)
        return arr

    def array(self, token: int):
        arr = self.arrays[token][0]()
        if arr is None:
            raise KeyError(token)
        return arr

    def own_object(self, handle: int):
        """One of this side's objects, handed back."""
        return self.objects[handle]

    def stub(self, handle: int, type_name: str):
        """A stand-in for an object of the other side; None when nobody here can call it."""
        if self._mine(handle) or handle == 0:
            raise Refused(f"an object of the other side with the handle {handle}")
        if self.peer is None:
            return None
        stub = self.stubs.get(handle)
        if stub is None:
            stub = self.stubs[handle] = stub_type(type_name)(self, handle, self.context)
        return stub

    def named(self, name: str):
        if not self.side.trusts_peer:
            raise Refused("a type or function by name")
        try:
            return _resolve(name)
        except (ImportError, AttributeError):
            raise Refused(f"an unknown name {name[:80]!r}") from None

    # Keeping arrays in step ---------------------------------------------------------------

    def changes(self) -> list:
        """What this side changed in shared arrays since the last exchange:
        [(token, dtype, shape as a list, bytes)]."""
        out = []
        for token, entry in list(self.arrays.items()):
            arr = entry[0]()
            if arr is not None:
                now = snapshot(arr)
                if now != entry[1]:
                    entry[1] = now
                    out.append((token, arr.dtype.str, list(arr.shape), arr.tobytes()))
        return out

    def sync(self) -> tuple[list, list]:
        """The changes, and the tokens of the arrays this side dropped since the last exchange."""
        changes = self.changes()
        retired, self.retired = self.retired, []
        return changes, retired

    def apply(self, changes) -> None:
        """Write the other side's changes (as ``changes`` makes them) into this side's arrays."""
        import numpy as np

        if not isinstance(changes, list):
            raise Refused("bad changes")
        for item in changes:
            if not (isinstance(item, tuple) and len(item) == 4):
                raise Refused("bad change")
            token, dtype, shape, data = item
            if not (type(token) is int and isinstance(dtype, str) and isinstance(shape, list)
                    and isinstance(data, bytes)):
                raise Refused("a malformed change")
            entry = self.arrays.get(token)  # None: an array this side has dropped since
            arr = entry[0]() if entry else None
            if arr is None:
                continue
            if dtype == arr.dtype.str and tuple(shape) == arr.shape and len(data) == arr.nbytes:
                np.copyto(arr, np.frombuffer(data, dtype=arr.dtype).reshape(arr.shape))
            elif not self.side.trusts_peer:
                raise Refused("a change that does not fit its array")
            entry[1] = snapshot(arr)

    def retire(self, tokens) -> None:
        """Forget the arrays the other side dropped."""
        for token in tokens:
            entry = self.arrays.pop(token, None)
            arr = entry[0]() if entry else None
            if arr is not None and self.tokens.get(id(arr)) == token:
                del self.tokens[id(arr)]

    def forget_objects(self) -> None:
        """The other side keeps no handle to this side's objects past this point (the grader:
        one test cell)."""
        self.objects.clear()
        self.handles.clear()


class Stub:
    """Stands for an object that stays in the other process. Attribute reads and calls go
    there (``Shared.peer``), and so do attribute writes unless the side keeps them on the stub;
    what comes back is data, shared arrays or other stubs."""

    __slots__ = ("_shared", "_handle", "_context", "_local", "__weakref__")

    def __init__(self, shared: Shared, handle: int, context):
        object.__setattr__(self, "_shared", shared)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_context", context)
        object.__setattr__(self, "_local", {})

    def __getattr__(self, name):
        if name in self._local:
            return self._local[name]
        if name.startswith(self._shared.side.private):
            raise AttributeError(name)
        return self._shared.peer.getattr(self._handle, name, self._context)

    def __setattr__(self, name, value):
        if self._shared.side.keeps_attributes:
            self._local[name] = value
        else:
            self._shared.peer.setattr(self._handle, name, value, self._context)

    def __call__(self, *args, **kwargs):
        return self._shared.peer.call(("handle", self._handle), args, kwargs, self._context)

    def __repr__(self):
        return f"<{type(self).__name__} object of the {self._shared.side.peer}>"


_stub_types: dict[str, type] = {}


def stub_type(type_name: str) -> type:
    """A Stub class named as the other side's type, so that messages name the right type."""
    name = type_name if isinstance(type_name, str) and type_name.isidentifier() else "Stub"
    if name not in _stub_types:
        _stub_types[name] = type(name, (Stub,), {"__slots__": ()})
    return _stub_types[name]

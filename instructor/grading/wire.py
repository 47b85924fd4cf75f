"""The wire format between the grader and a learner's process, both ways: data only, never
code.

Both processes encode what they send with ``encode`` and decode what they receive with
``decode`` (the learner's process, started with ``python -I -S``, loads this file by path:
it imports nothing outside the standard library and numpy). A value is one of:

====  =======================================================================
tag   value
====  =======================================================================
N T F None, True, False
i I   an integer (8 bytes, or its decimal digits when larger)
f c   a float, a complex number
s b   a string (UTF-8), bytes
l t d a list, a tuple, a dict (a count, then the items)
E S R Ellipsis, a slice (start, stop, step), a range (start, stop, step)
a r   a numeric numpy array (dtype, shape, bytes); the n-th array of this message again
g D   a numeric numpy scalar; a numeric numpy dtype
K k   a shared array (token, then as ``a``); a shared array the receiver knows (token)
h G   an object that stays with the sender (handle, type name); one of the receiver's
      own objects, handed back (handle)
n     a builtin or numpy type or function by name (the grader to the learner only)
o     a stand-in for an object the wire does not carry (type name)
====  =======================================================================

Decoding is the grader's trust boundary: it builds nothing but the values above, within
size and depth limits, and references only to what the grader handed out or to stand-ins
(``shared.Stub``) whose special methods are the grader's own; the grader refuses a name.
So a learner's object with a lying ``__eq__`` or ``__array_function__`` never reaches the
checker. ``shared.Shared`` answers the questions about tokens, handles and names, and
refuses what one side should not send the other.

A frame is an 8-byte little-endian length followed by that many bytes.
"""

from __future__ import annotations

import os
import re
import select
import struct
import time

MAX_DEPTH = 64
_DTYPE = re.compile(r"[<>|=][biufc][0-9]{1,2}")
_HEADER = struct.Struct("<Q")


class WireError(Exception):
    """A malformed, oversized or late frame: the peer is broken or misbehaving."""


class Opaque:
    """Stands for an object of a type the wire does not carry."""

    def __repr__(self):
        return f"<{type(self).__name__} object>"


_opaque_types: dict[str, type] = {}


def opaque(type_name: str) -> Opaque:
    name = type_name if type_name.isidentifier() else "object"
    cls = _opaque_types.get(name)
    if cls is None:
        cls = _opaque_types[name] = type(name, (Opaque,), {})
    return cls()


# Encoding ---------------------------------------------------------------------

_np = None


def _import_numpy():
    global _np
    import numpy
    _np = numpy
    return numpy


def encode(value, refs=None, share: bool = False) -> bytes:
    """``refs`` (this side's ``shared.Shared``) sends objects that are not data by handle or
    name and, with ``share``, arrays as shared arrays; without it they go as stand-ins and
    copies."""
    out: list[bytes] = []
    _encode(value, out, {}, 0, refs, share)
    return b"".join(out)


def _str(text: str) -> bytes:
    data = text.encode("utf-8", "replace")
    return struct.pack("<I", len(data)) + data


def _array_body(arr) -> bytes:
    data = arr.tobytes()
    return (_str(arr.dtype.str) + struct.pack("<B", arr.ndim) + struct.pack(f"<{arr.ndim}q", *arr.shape)
            + _HEADER.pack(len(data)) + data)


def _encode(value, out, arrays, depth, refs, share):
    np = _np or _import_numpy()
    if depth > MAX_DEPTH:
        out.append(b"o" + _str("too_deep"))
        return
    if value is None:
        out.append(b"N")
    elif value is True or value is False:
        out.append(b"T" if value else b"F")
    elif value is Ellipsis:
        out.append(b"E")
    elif isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            out.append(b"o" + _str("ndarray_of_" + value.dtype.kind))
        elif refs is not None and share:
            token, known = refs.array_token(value)
            out.append(b"k" + struct.pack("<q", token) if known else
                       b"K" + struct.pack("<q", token) + _array_body(np.ascontiguousarray(value)))
        elif id(value) in arrays:
            out.append(b"r" + struct.pack("<I", arrays[id(value)]))
        else:
            arrays[id(value)] = len(arrays)
            out.append(b"a" + _array_body(np.ascontiguousarray(np.asarray(value))))
    elif isinstance(value, np.generic):
        if value.dtype.kind not in "biufc":
            out.append(b"o" + _str(type(value).__name__))
            return
        out.append(b"g" + _str(value.dtype.str) + value.tobytes())
    elif isinstance(value, np.dtype) and value.kind in "biufc":
        out.append(b"D" + _str(value.str))
    elif isinstance(value, bool):  # a bool subclass that is not True/False itself
        out.append(b"T" if bool(value) else b"F")
    elif isinstance(value, int):
        number = int(value)
        if -2**63 <= number < 2**63:
            out.append(b"i" + struct.pack("<q", number))
        else:
            out.append(b"I" + _str(str(number)))
    elif isinstance(value, float):
        out.append(b"f" + struct.pack("<d", float(value)))
    elif isinstance(value, complex):
        out.append(b"c" + struct.pack("<dd", value.real, value.imag))
    elif isinstance(value, str):
        out.append(b"s" + _str(str(value)))
    elif isinstance(value, (bytes, bytearray)):
        data = bytes(value)
        out.append(b"b" + struct.pack("<I", len(data)) + data)
    elif isinstance(value, (list, tuple)):
        out.append((b"l" if isinstance(value, list) else b"t") + struct.pack("<I", len(value)))
        for item in list(value):
            _encode(item, out, arrays, depth + 1, refs, share)
    elif isinstance(value, dict):
        items = list(value.items())
        out.append(b"d" + struct.pack("<I", len(items)))
        for k, v in items:
            _encode(k, out, arrays, depth + 1, refs, share)
            _encode(v, out, arrays, depth + 1, refs, share)
    elif isinstance(value, (slice, range)):
        out.append(b"S" if isinstance(value, slice) else b"R")
        for part in (value.start, value.stop, value.step):
            _encode(part, out, arrays, depth + 1, refs, share)
    elif refs is not None:
        handle = refs.stub_handle(value)  # one of the receiver's objects, handed back
        name = refs.name_of(value) if handle is None else None
        if handle is not None:
            out.append(b"G" + struct.pack("<q", handle))
        elif name is not None:
            out.append(b"n" + _str(name))
        else:
            out.append(b"h" + struct.pack("<q", refs.handle(value)) + _str(type(value).__name__))
    else:
        out.append(b"o" + _str(type(value).__name__))


# Decoding (on the grader's side the bytes come from learner code) ----------------

_U8, _U32, _I64, _F64, _C128 = (struct.Struct(f) for f in ("<B", "<I", "<q", "<d", "<dd"))


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0
        self.arrays: list = []
        self.refs = None

    def fixed(self, st: struct.Struct):
        end = self.pos + st.size
        if end > len(self.data):
            raise WireError("truncated frame")
        value = st.unpack_from(self.data, self.pos)
        self.pos = end
        return value

    def raw(self, n: int) -> bytes:
        end = self.pos + n
        if n < 0 or end > len(self.data):
            raise WireError("truncated frame")
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def text(self, limit: int = 1 << 24) -> str:
        (n,) = self.fixed(_U32)
        if n > limit:
            raise WireError("string too long")
        return self.raw(n).decode("utf-8", "replace")

    def count(self) -> int:
        (n,) = self.fixed(_U32)
        if n > len(self.data) - self.pos:  # every item takes at least one byte
            raise WireError("bad item count")
        return n


def decode(data: bytes, refs=None):
    """``refs`` (this side's ``shared.Shared``) resolves shared arrays, handles and names;
    without it, an object of the sender's decodes as an ``Opaque`` stand-in and any other
    reference is refused."""
    reader = _Reader(bytes(data))
    reader.refs = refs
    value = _decode(reader, 0)
    if reader.pos != len(reader.data):
        raise WireError("trailing bytes")
    return value


def _resolved(reader, question, *args):
    """What ``refs`` says a token, handle or name stands for; its refusal, a WireError."""
    if reader.refs is None:
        raise WireError("a reference where none was expected")
    try:
        return getattr(reader.refs, question)(*args)
    except KeyError:
        raise WireError(f"an unknown reference {args[0]}") from None
    except ValueError as err:  # shared.Refused
        raise WireError(str(err)) from None


_dtypes: dict[str, object] = {}


def _dtype(reader):
    text = reader.text(8)
    dtype = _dtypes.get(text)
    if dtype is None:
        import numpy as np
        if not _DTYPE.fullmatch(text):
            raise WireError(f"refused dtype {text!r}")
        try:
            dtype = _dtypes[text] = np.dtype(text)
        except TypeError:
            raise WireError(f"refused dtype {text!r}") from None
    return dtype


def _decode(reader: _Reader, depth: int):
    if depth > MAX_DEPTH + 1:
        raise WireError("nested too deeply")
    tag = reader.raw(1)
    if tag in (b"a", b"K"):
        import numpy as np
        token = reader.fixed(_I64)[0] if tag == b"K" else None
        dtype = _dtype(reader)
        (ndim,) = reader.fixed(_U8)
        if ndim > 32:
            raise WireError("too many dimensions")
        shape = reader.fixed(struct.Struct(f"<{ndim}q")) if ndim else ()
        if any(n < 0 for n in shape):
            raise WireError("negative dimension")
        (nbytes,) = reader.fixed(_HEADER)
        size = 1
        for n in shape:
            size *= n
        if size * dtype.itemsize != nbytes or reader.pos + nbytes > len(reader.data):
            raise WireError("array size does not match its shape")
        arr = np.frombuffer(reader.data, dtype=dtype, count=size, offset=reader.pos).reshape(shape).copy()
        reader.pos += nbytes
        if token is not None:
            return _resolved(reader, "adopt", token, arr)
        reader.arrays.append(arr)
        return arr
    if tag in (b"k", b"G", b"h"):
        (number,) = reader.fixed(_I64)
        if tag == b"k":
            return _resolved(reader, "array", number)
        if tag == b"G":
            return _resolved(reader, "own_object", number)
        type_name = reader.text(200)
        stub = _resolved(reader, "stub", number, type_name) if reader.refs is not None else None
        return opaque(type_name) if stub is None else stub
    if tag == b"n":
        return _resolved(reader, "named", reader.text(200))
    if tag in (b"l", b"t"):
        items = [_decode(reader, depth + 1) for _ in range(reader.count())]
        return items if tag == b"l" else tuple(items)
    if tag == b"N":
        return None
    if tag == b"T":
        return True
    if tag == b"F":
        return False
    if tag == b"i":
        return reader.fixed(_I64)[0]
    if tag == b"f":
        return reader.fixed(_F64)[0]
    if tag == b"s":
        return reader.text()
    if tag == b"d":
        out = {}
        for _ in range(reader.count()):
            key = _decode(reader, depth + 1)
            try:
                hash(key)
            except TypeError:
                raise WireError("unhashable dict key") from None
            out[key] = _decode(reader, depth + 1)
        return out
    if tag == b"g":
        import numpy as np
        dtype = _dtype(reader)
        return np.frombuffer(reader.raw(dtype.itemsize), dtype=dtype)[0]
    if tag == b"r":
        (index,) = reader.fixed(_U32)
        if index >= len(reader.arrays):
            raise WireError("bad array reference")
        return reader.arrays[index]
    if tag == b"I":
        text = reader.text(5000)
        if not re.fullmatch(r"-?[0-9]+", text):
            raise WireError("bad integer")
        return int(text)
    if tag == b"c":
        re_, im = reader.fixed(_C128)
        return complex(re_, im)
    if tag == b"b":
        (n,) = reader.fixed(_U32)
        return reader.raw(n)
    if tag == b"o":
        return opaque(reader.text(200))
    if tag == b"E":
        return Ellipsis
    if tag in (b"S", b"R"):
        parts = [_decode(reader, depth + 1) for _ in range(3)]
        if tag == b"S":
            return slice(*parts)
        if not all(type(p) is int for p in parts) or parts[2] == 0:
            raise WireError("a malformed range")
        return range(*parts)
    if tag == b"D":
        return _dtype(reader)
    raise WireError(f"unknown tag {tag!r}")


# Frames -------------------------------------------------------------------------

def write_frame(fd: int, payload: bytes) -> None:
    data = memoryview(_HEADER.pack(len(payload)) + payload)
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _read_exactly(fd: int, n: int, deadline: float | None) -> bytes:
    chunks, left = [], n
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, deadline: float | None = None, limit: int | None = None) -> bytes:
    """One frame's payload. TimeoutError past ``deadline``, EOFError when the peer is gone,
    WireError for a frame over ``limit`` bytes (nothing of it is read into memory)."""
    (n,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size, deadline))
    if limit is not None and n > limit:
        raise WireError(f"a message of {n} bytes, over the limit of {limit}")
    return _read_exactly(fd, n, deadline)

"""The learner's process: runs a submission's code cells and calls its functions on request.

Each is forked by a launcher (``launcher()`` below), which ``instructor.grading.sandbox``
starts once per grader process as ``python -I -S -B sandbox_child.py SOCKET``: no
PYTHONPATH, no .pth files, so sys.path is exactly what the grader sets: the working folder
(the notebook's folder in a kernel), a copy of the workbook's public files (what the
student bundle holds: ``public_tests.py``, ``cnnbook``, the data) and site-packages. The
launcher imports numpy, matplotlib, ipywidgets and the public package once, from a clean
environment and with nothing of the course's, so that each learner's process starts with
them in a few milliseconds. The
instructor's package is not importable, and not readable either. Only the standard
library and numpy are used here; the wire format, the protocol, what the two processes share
(``shared``), the seccomp filter and the magics are loaded from the files beside this one,
and the helper swap the checker uses (``cnnbook.rebinding``) from the public copy. The
grader's messages are decoded with the same data-only codec as this side's answers: nothing
is unpickled here either.

Before any learner code runs, the process closes itself in, in this order (each step
reports whether it took effect; the grader prints that before grading):

1. resource limits: address space (the memory limit), CPU seconds, file size, no core files;
2. privileges: as root, switch to the user ``nobody`` when it can read the Python
   installation, otherwise keep uid 0 but drop every capability;
3. (done by the launcher before it forks) import numpy, the one library the exercises need,
   and the modules notebooks import, while their files are readable;
4. Landlock (Linux 5.13+): read access only to the standard library, site-packages (less
   this project's own entries), the public copy and system libraries; write access only to
   the working folder; no TCP; with ABI 6+, no signals to processes outside the sandbox;
5. seccomp (``seccomp.py``, through libseccomp, system calls by name, on x86_64 and
   aarch64): no new processes or programs, no signals, no sockets, no ptrace, no raising
   of limits, no namespaces, mounts or kernel modules, and the death signal that ties this
   process to the grader cannot be removed.
"""

from __future__ import annotations

import ast
import builtins
import ctypes
import importlib.util
import json
import linecache
import os
import resource
import signal
import stat
import struct
import sys
import time
import traceback
import types
from pathlib import Path

wire = None  # the wire module, loaded from beside this file in main()
magics = None  # the magics module (get_ipython() for a cell's magics), loaded the same way
protocol = None  # the protocol module: its version and message kinds
shared = None  # what the two processes share (arrays, stand-ins), loaded the same way
seccomp = None  # the seccomp filter (libseccomp), loaded the same way
rebinding = None  # cnnbook.rebinding, imported from the public copy in main()
OUTPUT_LIMIT = 64 * 1024  # characters of printed output kept per cell

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]


def _prctl(option, arg=0):
    if _libc.prctl(option, arg, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


# 1. limits ------------------------------------------------------------------------

def apply_limits(limits: dict) -> dict:
    applied = {}
    for name, value in (("RLIMIT_AS", limits.get("memory")), ("RLIMIT_CPU", limits.get("cpu")),
                        ("RLIMIT_FSIZE", limits.get("file_size")), ("RLIMIT_CORE", 0),
                        ("RLIMIT_NOFILE", limits.get("open_files"))):
        if value is None:
            continue
        try:
            resource.setrlimit(getattr(resource, name), (value, value))
            applied[name] = value
        except (ValueError, OSError) as err:
            applied[name] = f"not set: {err}"
    return applied


# 2. privileges --------------------------------------------------------------------

class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_privileges(user: dict | None) -> str:
    if os.geteuid() != 0:
        return f"uid {os.geteuid()} (not root)"
    if user:
        os.setgroups([])
        os.setgid(user["gid"])
        os.setuid(user["uid"])
        return f"user {user['name']} (uid {user['uid']})"
    header, data = _CapHeader(0x20080522, 0), (_CapData * 2)()
    if _libc.capset(ctypes.byref(header), data) != 0:
        return f"root WITH capabilities (capset failed: {os.strerror(ctypes.get_errno())})"
    return "root without capabilities"


# 4. Landlock ----------------------------------------------------------------------

# Names and values of <linux/landlock.h>; the ABI version that brought each in.
FS_RIGHTS = {  # LANDLOCK_ACCESS_FS_*: (bit, ABI)
    "EXECUTE": (1 << 0, 1), "WRITE_FILE": (1 << 1, 1), "READ_FILE": (1 << 2, 1), "READ_DIR": (1 << 3, 1),
    "REMOVE_DIR": (1 << 4, 1), "REMOVE_FILE": (1 << 5, 1), "MAKE_CHAR": (1 << 6, 1), "MAKE_DIR": (1 << 7, 1),
    "MAKE_REG": (1 << 8, 1), "MAKE_SOCK": (1 << 9, 1), "MAKE_FIFO": (1 << 10, 1), "MAKE_BLOCK": (1 << 11, 1),
    "MAKE_SYM": (1 << 12, 1), "REFER": (1 << 13, 2), "TRUNCATE": (1 << 14, 3), "IOCTL_DEV": (1 << 15, 5),
}
NET_RIGHTS = {"BIND_TCP": (1 << 0, 4), "CONNECT_TCP": (1 << 1, 4)}  # LANDLOCK_ACCESS_NET_*
SCOPES = {"ABSTRACT_UNIX_SOCKET": (1 << 0, 6), "SIGNAL": (1 << 1, 6)}  # LANDLOCK_SCOPE_*
LANDLOCK_CREATE_RULESET_VERSION = 1 << 0
LANDLOCK_RULE_PATH_BENEATH = 1
# The same numbers on x86_64 and aarch64 (the generic system-call table).
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446


def _bits(table: dict, names, abi: int = 99) -> int:
    return sum(table[n][0] for n in names if table[n][1] <= abi)


def _names(table: dict, bits: int) -> list[str]:
    return [n for n, (bit, _) in table.items() if bits & bit]


READ = ("READ_FILE", "READ_DIR")
# Rights that apply to a file (not a folder): a rule on a file may hold only these.
FILE_ONLY = ("EXECUTE", "WRITE_FILE", "READ_FILE", "TRUNCATE", "IOCTL_DEV")
# In its working folder the learner's code may do everything but run programs, make device
# files or send device ioctls.
NOT_IN_WORKDIR = ("EXECUTE", "MAKE_CHAR", "MAKE_BLOCK", "IOCTL_DEV")


def apply_landlock(read: list[str], listable: list[str], write: list[str], devices: dict[str, str]) -> dict:
    abi = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, 0, LANDLOCK_CREATE_RULESET_VERSION)
    if abi < 1:
        return {"ok": False, "why": "this kernel has no Landlock (needs Linux 5.13+ with "
                                    "Landlock enabled in the lsm= boot setting)"}
    handled = _bits(FS_RIGHTS, FS_RIGHTS, abi)  # every right this kernel knows is handled (denied unless granted)
    net = _bits(NET_RIGHTS, NET_RIGHTS, abi)    # no TCP bind or connect at all
    scoped = _bits(SCOPES, SCOPES, abi)         # no signals or abstract sockets out of the sandbox
    attr = struct.pack("<QQQ", handled, net, scoped)[:8 if abi < 4 else 16 if abi < 6 else 24]
    buf = ctypes.create_string_buffer(attr, len(attr))
    ruleset = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, buf, len(attr), 0)
    if ruleset < 0:
        return {"ok": False, "why": f"landlock_create_ruleset: {os.strerror(ctypes.get_errno())}"}
    read_rights = _bits(FS_RIGHTS, READ)
    write_rights = handled & ~_bits(FS_RIGHTS, NOT_IN_WORKDIR)
    rules = [(p, read_rights) for p in read] + [(p, _bits(FS_RIGHTS, ["READ_DIR"])) for p in listable]
    rules += [(p, write_rights) for p in write]
    rules += [(p, _bits(FS_RIGHTS, ["READ_FILE"] + (["WRITE_FILE"] if mode == "rw" else [])))
              for p, mode in devices.items()]
    for path, rights in rules:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue  # a path this system does not have
        try:
            if not stat.S_ISDIR(os.fstat(fd).st_mode):
                rights &= _bits(FS_RIGHTS, FILE_ONLY)
            rule = ctypes.create_string_buffer(struct.pack("<Qi", rights & handled, fd), 12)
            if _libc.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, rule, 0) != 0:
                return {"ok": False, "why": f"landlock_add_rule {path}: {os.strerror(ctypes.get_errno())}"}
        finally:
            os.close(fd)
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    if _libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
        return {"ok": False, "why": f"landlock_restrict_self: {os.strerror(ctypes.get_errno())}"}
    os.close(ruleset)
    return {"ok": True, "abi": abi, "signals": abi >= 6, "network": abi >= 4,
            "handled": _names(FS_RIGHTS, handled) + _names(NET_RIGHTS, net) + _names(SCOPES, scoped),
            "workdir": _names(FS_RIGHTS, write_rights)}


# 5. seccomp: ``seccomp.py`` (libseccomp, system calls by name) ------------------------


# The learner's namespace ---------------------------------------------------------------

class _Capture:
    """A bounded text stream: output past the limit is counted, not kept."""

    def __init__(self):
        self.parts, self.size, self.dropped = [], 0, 0

    def write(self, text):
        text = str(text)
        room = OUTPUT_LIMIT - self.size
        if room > 0:
            self.parts.append(text[:room])
            self.size += min(len(text), room)
        self.dropped += max(len(text) - max(room, 0), 0)
        return len(text)

    def flush(self):
        pass

    def isatty(self):
        return False

    def value(self):
        text = "".join(self.parts)
        return text + (f"\n[{self.dropped} more characters not kept]\n" if self.dropped else "")


def _safe_str(err) -> str:
    try:
        return str(err)[:2000]
    except BaseException:  # a learner's __str__ that raises
        return f"<{type(err).__name__}>"


def describe_error(err: BaseException) -> dict:
    """What the grader needs to raise the same error on its side: a builtin class name
    and arguments when possible, and a short traceback of the learner's cells."""
    bases = [c.__name__ for c in type(err).__mro__
             if getattr(builtins, c.__name__, None) is c and issubclass(c, BaseException)]
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename.startswith("<cell")]
    args = []
    for a in getattr(err, "args", ())[:4]:
        args.append(a if isinstance(a, (str, int, float, bool, type(None))) else _safe_str(a))
    lines = [f"  {f.filename}, line {f.lineno}, in {f.name}\n    {(f.line or '').strip()}\n"
             for f in frames[-5:]]
    return {"ename": type(err).__name__[:100], "evalue": _safe_str(err), "bases": bases,
            "args": args, "traceback": lines}


FRAMES_KEPT = 30             # innermost calls reported with an error
LOCAL_ARRAY_BYTES = 1 << 20  # a larger array among a call's variables is left out


def _plain(value, np, depth: int = 0) -> bool:
    """A variable the wire carries without running the learner's code: data of the exact
    builtin types, numeric arrays up to a size, and objects (they go by handle); not a
    module, nor a container of the learner's own type, whose methods could raise."""
    kind = type(value)
    if kind in (type(None), bool, int, float, complex, str, bytes) or isinstance(value, np.generic):
        return True
    if kind is np.ndarray:
        return value.nbytes <= LOCAL_ARRAY_BYTES
    if kind in (list, tuple):
        return depth < 3 and len(value) <= 100 and all(_plain(v, np, depth + 1) for v in value)
    if kind is dict:
        return depth < 3 and len(value) <= 100 and all(type(k) is str and _plain(v, np, depth + 1)
                                                        for k, v in value.items())
    return not isinstance(value, (types.ModuleType, list, tuple, dict, str, bytes, bytearray, int, float,
                                  complex, np.ndarray, slice, range))


def raising_frames(err: BaseException) -> list:
    """The calls an error of the learner's code came through, outermost first, as the
    checker's runner reports them in a notebook (cnnbook.rebinding.Frame): [filename,
    function, line number, line, variables]. This process's own calls are left out; the
    variables go as any value does (arrays shared, objects by handle)."""
    import numpy as np

    here = os.path.dirname(os.path.abspath(__file__))
    out = []
    for frame, lineno in traceback.walk_tb(err.__traceback__):
        filename = frame.f_code.co_filename
        if os.path.dirname(os.path.abspath(filename)) == here:
            continue
        names = {k: v for k, v in list(frame.f_locals.items())[:200] if type(k) is str and _plain(v, np)}
        out.append([filename[:300], frame.f_code.co_name[:100], lineno,
                    linecache.getline(filename, lineno)[:300], names])
    return out[-FRAMES_KEPT:]


class ChildServer:
    """The learner's side: serves the grader's requests until it says stop or goes away."""

    def __init__(self, rfd: int, wfd: int, applied: dict, setup: dict):
        self.rfd, self.wfd = rfd, wfd
        self.applied, self.setup = applied, setup
        self.shared = shared.Shared(shared.LEARNER, self)
        # What a kernel offers besides builtins (-S leaves out site's exit and quit).
        self.ns = {"__name__": "__main__", "__builtins__": builtins, "display": print,
                   "exit": sys.exit, "quit": sys.exit}
        self.ns["get_ipython"] = lambda shell=magics.Shell(self.ns): shell

    def send(self, *message, share: bool = False):
        try:
            payload = wire.encode(message, self.shared, share)
        except BaseException as err:  # a learner's object whose methods raise while encoded
            payload = wire.encode(("raise", describe_error(err), []))
        wire.write_frame(self.wfd, payload)

    def recv(self):
        # The grader's data, which this side trusts: no size limit, but still data only.
        return wire.decode(wire.read_frame(self.rfd), self.shared)

    def serve(self):
        self.send("ready", self.applied, protocol.VERSION)
        while True:
            message = self.recv()
            if message[0] == "exit":
                return
            self.dispatch(message)

    def dispatch(self, message):
        kind = message[0]
        if kind == "cells":
            for index, source in message[1]:
                self.send("cell", index, self.run_cell(index, source))
            self.send("cells_done", self.describe())
        elif kind in ("call", "getattr", "setattr"):
            changes, retired = message[-1]
            self.shared.apply(changes)
            self.shared.retire(retired)
            self.request(kind, *message[1:-1])
        elif kind == "get":
            self.send("value", self.ns.get(message[1]), [], share=True)
        elif kind == "probe":
            self.send("probe", probe(message[1]))
        else:
            self.send("raise", {"ename": "RuntimeError", "evalue": f"unknown request {kind!r}",
                                "bases": ["RuntimeError"], "args": [], "traceback": []}, [])

    def run_cell(self, index: int, source: str) -> dict:
        filename = f"<cell {index}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        out, err = _Capture(), _Capture()
        result = {"error": None, "value": None}
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        try:
            tree = ast.parse(source, filename)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, filename, "exec"), self.ns)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), filename, "eval"), self.ns)
                if value is not None:
                    result["value"] = repr(value)[:OUTPUT_LIMIT]
        except BaseException as error:  # the learner's exit() or KeyboardInterrupt, too
            result["error"] = describe_error(error)
        finally:
            sys.stdout, sys.stderr = saved
        result["stdout"], result["stderr"] = out.value(), err.value()
        return result

    def describe(self) -> dict:
        names = {}
        for name, value in list(self.ns.items())[:5000]:
            if name.startswith("__") or isinstance(value, types.ModuleType):
                continue
            if isinstance(value, (type, types.FunctionType)):  # for a class, its methods' names
                uses = sorted(n for n in rebinding.names_used(value) if n.isidentifier())[:500]
                names[name] = {"kind": "callable" if isinstance(value, type) else "function", "uses": uses}
            else:
                names[name] = {"kind": "callable" if callable(value) else "value", "uses": []}
        return names

    def ask(self, kind, *args):
        """Ask the grader (a swapped helper, one of its objects) and wait for its answer,
        serving the grader's own requests meanwhile."""
        self.send(kind, *args)
        while True:
            message = self.recv()
            if message[0] == "reply":
                return message[1]
            if message[0] == "error":
                err = _rebuild(message[1])
                # Which of the grader's errors this is: its calls are the grader's to report.
                err.cnnbook_grader_error = message[1].get("id")
                raise err
            self.dispatch(message)

    # What the stand-ins of the grader's objects call (``shared.Stub``).

    def call(self, target, args, kwargs, context=None):
        return self.ask("grader_call", target[1], args, kwargs)

    def getattr(self, handle, name, context=None):
        return self.ask("grader_getattr", handle, name)

    def callback(self, helper: str):
        def stub(*args, **kwargs):
            return self.ask("callback", helper, args, kwargs)
        stub.__name__ = stub.__qualname__ = helper
        return stub

    def _swapped(self, target, overrides):
        """The learner's function or class with the grader's versions of these helpers."""
        return rebinding.with_globals(target, {h: self.callback(h) for h in overrides})

    def request(self, kind, *args):
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Capture(), _Capture()  # prints inside a check are not kept
        try:
            if kind == "call":
                target, call_args, call_kwargs, overrides = args
                if target[0] == "name":
                    fn = self.ns.get(target[1])
                    if fn is None:
                        raise NameError(f"name {target[1]!r} is not defined")
                    if overrides:
                        fn = self._swapped(fn, overrides)
                else:
                    fn = self.shared.objects[target[1]]
                value = fn(*call_args, **call_kwargs)
                reply = ("return", value, call_args, call_kwargs)
            elif kind == "getattr":
                reply = ("value", getattr(self.shared.objects[args[0]], args[1]))
            else:
                setattr(self.shared.objects[args[0]], args[1], args[2])
                reply = ("value", None)
        except BaseException as err:
            sys.stdout, sys.stderr = saved
            error = describe_error(err)
            try:
                cause = getattr(err, "cnnbook_grader_error", None)
                error.update(frames=raising_frames(err), grader_error=cause if type(cause) is int else None)
            except BaseException:  # a learner's object that raises when looked at: no calls reported
                pass
            self.send("raise", error, self.shared.changes(), share=True)
            return
        sys.stdout, sys.stderr = saved
        self.send(*reply, self.shared.changes(), share=True)


def _rebuild(info: dict) -> BaseException:
    cls = getattr(builtins, info.get("ename", ""), None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = RuntimeError
    try:
        return cls(*info.get("args", []))
    except Exception:
        return cls(info.get("evalue", ""))


def probe(targets: dict) -> dict:
    """Try what the bounds must prevent; report what happened. Runs before learner code."""
    report = {"memory limit": resource.getrlimit(resource.RLIMIT_AS)[0]}
    for path in targets.get("read", []):
        try:
            with open(path, "rb") as f:
                f.read(1)
            report[f"read {path}"] = "allowed"
        except FileNotFoundError:
            report[f"read {path}"] = "missing"
        except OSError as err:
            report[f"read {path}"] = f"denied ({err.strerror})"
    for path in targets.get("write", []):
        try:
            with open(path, "xb"):
                pass
            os.unlink(path)
            report[f"write {path}"] = "allowed"
        except OSError as err:
            report[f"write {path}"] = f"denied ({err.strerror})"
    try:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        report["fork"] = "allowed"
    except OSError as err:
        report["fork"] = f"denied ({err.strerror})"
    for who, pid in (("the grader", targets["grader"]), ("its launcher", os.getppid())):
        try:
            os.kill(pid, 0)
            report[f"signal {who}"] = "allowed"
        except OSError as err:
            report[f"signal {who}"] = f"denied ({err.strerror})"
    try:
        import socket
        socket.socket().close()
        report["open a socket"] = "allowed"
    except OSError as err:
        report["open a socket"] = f"denied ({err.strerror})"
    try:
        infinity = resource.RLIM_INFINITY
        resource.setrlimit(resource.RLIMIT_AS, (infinity, infinity))
        report["raise the memory limit"] = "allowed"
    except (OSError, ValueError) as err:
        report["raise the memory limit"] = f"denied ({err})"
    return report


def _beside(name: str):
    """A module of the grading package, loaded from its file beside this one (the package
    itself is not importable here)."""
    spec = importlib.util.spec_from_file_location(f"cnnbook_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an import would (dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


def prepare(setup: dict) -> None:
    """What every learner's process of one launcher shares, done once, before any fork, while
    every file is readable: the public copy and site-packages on sys.path, numpy, libseccomp,
    the checker's helper swap, and the modules a notebook's cells import (``setup["preload"]``:
    matplotlib, ipywidgets, the workbook's public package)."""
    global rebinding
    sys.path[:0] = [setup["public"]]
    sys.path.append(setup["site"])
    import numpy  # noqa: F401
    try:
        seccomp.library()
    except seccomp.SeccompUnavailable:
        pass  # seccomp.apply() reports it
    rebinding = importlib.import_module("cnnbook.rebinding")
    for name in setup.get("preload", []):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001  (a cell that imports it meets the same error itself)
            pass


def _close_fds(keep: set[int]) -> None:
    low = 3
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, os.sysconf("SC_OPEN_MAX"))


def become_learner(rfd: int, wfd: int, setup: dict) -> None:
    """In a process just forked from the launcher: close it in (the steps of the module's
    docstring), then serve the grader. Never returns."""
    code = 0
    try:
        os.setsid()  # a Ctrl-C in the terminal reaches the grader, not this
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # die with the launcher, whatever happens to it
        if os.getppid() != setup["launcher"]:
            os._exit(1)
        _close_fds({rfd, wfd})  # the launcher's socket above all: nothing else leads out
        sys.argv = [sys.argv[0], str(rfd), str(wfd)]  # its pipes, as a process of its own would have them
        os.environ.clear()
        os.environ.update(setup["env"])
        if "tempfile" in sys.modules:
            sys.modules["tempfile"].tempdir = None  # found again, in the working folder
        import numpy
        numpy.random.seed()  # a fresh process's entropy, not the launcher's state
        try:
            applied = {"limits": apply_limits(setup["limits"]), "user": drop_privileges(setup.get("user"))}
            # As in a learner's kernel: the notebook's folder first, then the workbook's public
            # files (what the student bundle has), then site-packages.
            sys.path.insert(0, setup["workdir"])
            os.chdir(setup["workdir"])
            applied["files"] = (apply_landlock(setup["read"], [setup["site"]], setup["write"], setup["devices"])
                                if setup.get("landlock", True) else {"ok": False, "why": "turned off"})
            applied["syscalls"] = (seccomp.apply() if setup.get("seccomp", True)
                                   else {"ok": False, "why": "turned off"})
        except BaseException:
            wire.write_frame(wfd, wire.encode(("failed", traceback.format_exc())))
            os._exit(1)
        ChildServer(rfd, wfd, applied, setup).serve()
    except BaseException:  # the grader went away, or the learner's code ended the process
        code = 1
    finally:
        os._exit(code)


def _reap(pid: int, pidfd: int | None, timeout: float | None, ctrl) -> int | None:
    """The exit code of a child (negative: the signal that ended it), waiting up to
    ``timeout`` seconds (None: until it ends); None if it still runs, or if the grader went
    away meanwhile."""
    if pidfd is None:  # no pidfd_open (Linux before 5.3): look every 10 ms
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(0.01)
    import select
    if pidfd not in select.select([ctrl, pidfd], [], [], timeout)[0]:
        return None
    done, status = os.waitpid(pid, os.WNOHANG)
    return os.waitstatus_to_exitcode(status) if done else None


def launcher(ctrl_fd: int) -> None:
    """Serve the grader's requests on the socket ``ctrl_fd``: fork a learner's process (with
    the two pipe ends sent along), wait for one, kill one. Runs until the grader closes the
    socket (or dies): then it exits, and its learners' processes with it."""
    global wire, magics, protocol, shared, seccomp
    import socket
    wire, magics, protocol, shared, seccomp = (_beside(name) for name in
                                               ("wire", "magics", "protocol", "shared", "seccomp"))
    ctrl = socket.socket(fileno=ctrl_fd)
    setup = json.loads(ctrl.recv(1 << 20))
    try:
        prepare(setup)
    except BaseException:
        ctrl.send(json.dumps(["failed", traceback.format_exc()]).encode())
        return
    ctrl.send(json.dumps(["ready"]).encode())
    children: dict[int, int | None] = {}  # pid -> pidfd, until reaped
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(ctrl, 1 << 20, 2)
        except OSError:
            message, fds = b"", []
        if not message:
            return
        request = json.loads(message)
        if request[0] == "spawn":
            rfd, wfd = fds
            me = os.getpid()
            pid = os.fork()
            if pid == 0:
                become_learner(rfd, wfd, {**request[1], "launcher": me})
            os.close(rfd)
            os.close(wfd)
            try:
                children[pid] = os.pidfd_open(pid)
            except (AttributeError, OSError):
                children[pid] = None
            reply = ["pid", pid]
        else:  # ["wait", pid, timeout] or ["kill", pid]
            pid = request[1]
            if pid not in children:
                reply = ["status", None, "no such child"]
            else:
                if request[0] == "kill":
                    os.kill(pid, signal.SIGKILL)
                code = _reap(pid, children[pid], None if request[0] == "kill" else request[2], ctrl)
                if code is not None and (pidfd := children.pop(pid)) is not None:
                    os.close(pidfd)
                reply = ["status", code]
        ctrl.send(json.dumps(reply).encode())


def main(argv) -> None:
    launcher(int(argv[1]))


if __name__ == "__main__":
    main(sys.argv)

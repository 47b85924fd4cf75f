"""The grader's side of the sandbox: start a learner's process, run cells in it, call its
functions, and enforce the time limits.

The learner's process (``sandbox_child.py``) holds the submission's code and nothing of
the course's: no solutions, hidden tests, reference implementations or gradebook. The two
exchange data (``wire``, both ways), shared arrays, and handles to objects that stay where
they are (``shared``); never code. ``protocol`` says who sends what, in which order; every
message from the learner's process is checked against it on receipt. Time is enforced here
(a deadline on every read, SIGKILL when it passes); memory, files, processes and signals
are enforced inside the child by the kernel (see its docstring).
"""

from __future__ import annotations

import builtins
import functools
import os
import pwd
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import threading
import time
import types
from dataclasses import dataclass, field
from pathlib import Path

from instructor.grading import protocol, shared, wire
from instructor.grading.protocol import ProtocolError

CHILD = Path(__file__).with_name("sandbox_child.py")
# Top-level names of this project in site-packages: never readable from a sandbox.
PROJECT_NAMES = ("cnnbook", "instructor", "public_tests", "cnn_step_by_step", "__editable__")
SYSTEM_READ = ["/usr/lib", "/lib", "/lib64", "/usr/lib64", "/etc/ld.so.cache", "/etc/localtime",
               "/usr/share/zoneinfo"]
# The environment of the launcher and of learners' processes, less their own folders.
PROCESS_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
DEVICES = {"/dev/null": "rw", "/dev/zero": "r", "/dev/urandom": "r", "/dev/random": "r"}


@dataclass
class Limits:
    """The bounds of one submission. Times in seconds, sizes in bytes."""
    cell_timeout: float = 120.0        # each cell, and each graded test cell
    submission_timeout: float = 900.0  # all of one notebook's cells and checks together
    memory: int = 2 << 30              # address space of the learner's process
    file_size: int = 64 << 20          # largest file it may write in its working folder
    open_files: int = 64
    max_message: int = 64 << 20        # largest value it may send back
    landlock: bool = True              # turn a bound off only to measure what it costs
    seccomp: bool = True

    @property
    def cpu(self) -> int:
        # A backstop for CPU time; the wall-clock deadlines above are the real limit.
        return int(self.submission_timeout) + 60


class SandboxLost(BaseException):
    """The learner's process ended, or broke the protocol, while the grader waited on it.

    A BaseException so that no ``except Exception`` in a check turns it into an ordinary
    failure and carries on calling a dead process.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SandboxTimeout(BaseException):
    """The deadline passed while the grader waited on the learner's process."""


class SandboxError(RuntimeError):
    """The sandbox could not start: a problem of the grading setup, not of the submission."""


def site_packages() -> Path:
    import numpy
    return Path(numpy.__file__).resolve().parent.parent


@functools.lru_cache(maxsize=1)
def _read_roots() -> tuple[str, ...]:
    return tuple(read_roots())


def read_roots() -> list[str]:
    """What a learner's process may read: Python's standard library, the site-packages
    entries other than this project's, and the system libraries."""
    paths = sysconfig.get_paths()
    roots = list(dict.fromkeys([paths["stdlib"], paths["platstdlib"]]))
    site = site_packages()
    for entry in sorted(site.iterdir()):
        if entry.name.startswith(PROJECT_NAMES) or entry.name in ("__pycache__",) or entry.suffix == ".pth":
            continue
        roots.append(str(entry))
    return roots + [p for p in SYSTEM_READ if os.path.exists(p)]


def _others_can_read(path: str) -> bool:
    p = Path(path)
    try:
        if not p.stat().st_mode & stat.S_IROTH:
            return False
        return all(parent.stat().st_mode & stat.S_IXOTH for parent in p.parents)
    except OSError:
        return False


def sandbox_user() -> dict | None:
    """As root, run learners' code as ``nobody`` when that user can read the Python
    installation; otherwise (say, Python under /root) the child keeps uid 0 without
    capabilities."""
    if os.geteuid() != 0:
        return None
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        return None
    paths = sysconfig.get_paths()
    if not all(_others_can_read(p) for p in (paths["stdlib"], str(site_packages() / "numpy"))):
        return None
    return {"name": "nobody", "uid": nobody.pw_uid, "gid": nobody.pw_gid}


# What a learner has besides the notebooks: the files of the student bundle.
PUBLIC_FILES = ("public_tests.py", "cnnbook", "data", "images")
_public: dict = {}


def prepare_public(dest: Path) -> Path:
    """Copy the workbook's public files (those the student bundle ships) to ``dest``, with a
    matplotlib font cache, for learners' processes to import and read."""
    import shutil

    from instructor.paths import ROOT
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    dest.mkdir(parents=True, exist_ok=True)
    for name in PUBLIC_FILES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, dest / name, ignore=ignore, dirs_exist_ok=True)
        elif path.is_file():
            shutil.copy(path, dest / name)
    cache = dest / ".matplotlib"
    cache.mkdir(exist_ok=True)
    env = {**os.environ, "MPLCONFIGDIR": str(cache), "MPLBACKEND": "Agg"}
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    return dest


def default_public() -> Path:
    """A public copy for this process, made on first use and removed when it exits."""
    if "path" not in _public:
        import atexit
        import shutil
        import tempfile
        path = Path(tempfile.mkdtemp(prefix="cnnbook-public-"))
        atexit.register(shutil.rmtree, path, True)
        _public["path"] = prepare_public(path)
    return _public["path"]


def preload_modules(public: Path) -> list[str]:
    """What a launcher imports before it forks learners' processes: what notebooks' cells
    import (matplotlib, ipywidgets) and every module of the public copy's package."""
    package = public / "cnnbook"
    own = sorted(".".join(p.relative_to(public).with_suffix("").parts).removesuffix(".__init__")
                 for p in package.rglob("*.py"))
    return ["matplotlib", "matplotlib.pyplot", "ipywidgets", *own]


class LauncherError(SandboxError):
    pass


class Launcher:
    """A process that has imported once what every learner's process needs (numpy,
    matplotlib, ipywidgets, the workbook's public package) and forks each of them: a
    learner's process then starts in a few milliseconds instead of importing them again
    for every notebook. It holds nothing of the course's (the same public files, from a
    clean environment) and no bound: each process it forks closes itself in before it
    runs anything of the learner's (``sandbox_child.become_learner``).

    One per grader process and public copy, started on first use; it exits when the grader
    closes its socket or dies, and its learners' processes with it. Requests and their
    answers are JSON on a Unix socket (the pipes of a new learner's process go along).
    """

    _running: dict = {}
    _lock = threading.Lock()

    def __init__(self, public: Path):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {**PROCESS_ENV, "HOME": str(public), "MPLCONFIGDIR": str(public / ".matplotlib")}
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-B", str(CHILD), str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                # CNNBOOK_SANDBOX_DEBUG=1 shows the learners' processes' own errors (their stderr).
                stderr=None if os.environ.get("CNNBOOK_SANDBOX_DEBUG") else subprocess.DEVNULL,
                cwd=public, env=env, start_new_session=True)  # a Ctrl-C reaches the grader only
        finally:
            theirs.close()
        self.sock, self.lock = ours, threading.Lock()
        self.sock.settimeout(300)  # the imports, on a machine under load
        answer = self._ask({"public": str(public), "site": str(site_packages()),
                            "preload": preload_modules(public)})
        if answer[0] != "ready":
            self.close()
            raise LauncherError(f"the learners' launcher did not start:\n{answer[1]}")
        self.sock.settimeout(None)

    @classmethod
    def of(cls, public: Path) -> "Launcher":
        """This process's launcher for ``public``, started (again) if need be."""
        key = (os.getpid(), str(public), str(CHILD))
        with cls._lock:
            if not cls._running:
                import atexit
                atexit.register(cls.close_all)
            launcher = cls._running.get(key)
            if launcher is not None and launcher.proc.poll() is not None:
                launcher.close()  # it died (killed, say): its learners' processes with it
                launcher = None
            if launcher is None:
                launcher = cls._running[key] = cls(public)
            return launcher

    @classmethod
    def close_all(cls) -> None:
        with cls._lock:
            for key in [k for k in cls._running if k[0] == os.getpid()]:
                cls._running.pop(key).close()

    def _ask(self, request, fds=()) -> list:
        import json
        try:
            socket.send_fds(self.sock, [json.dumps(request).encode()], list(fds))
            answer = self.sock.recv(1 << 20)
        except OSError as err:
            raise LauncherError(f"the learners' launcher is gone ({err})") from None
        if not answer:
            raise LauncherError("the learners' launcher is gone (it closed its socket)")
        return json.loads(answer)

    def ask(self, request, fds=()) -> list:
        with self.lock:
            return self._ask(request, fds)

    def spawn(self, setup: dict, fds: tuple[int, int]) -> "LearnerProcess":
        return LearnerProcess(self, self.ask(["spawn", setup], fds)[1])

    def close(self) -> None:
        self.sock.close()  # the launcher exits on it
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class LearnerProcess:
    """A learner's process forked by a launcher, as much of ``subprocess.Popen`` as the
    sandbox uses: its exit code (negative: the signal that ended it) comes from the launcher,
    its parent."""

    def __init__(self, launcher: Launcher, pid: int):
        self.launcher, self.pid, self.returncode = launcher, pid, None

    def _status(self, request) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = self.launcher.ask(request)[1]
            except LauncherError:
                self.returncode = -signal.SIGKILL  # it died with its launcher
        return self.returncode

    def poll(self) -> int | None:
        return self._status(["wait", self.pid, 0])

    def wait(self, timeout: float | None = None) -> int:
        if self._status(["wait", self.pid, timeout]) is None:
            raise subprocess.TimeoutExpired(str(CHILD), timeout)
        return self.returncode

    def kill(self) -> None:
        self._status(["kill", self.pid])


def _exit_reason(proc: "LearnerProcess") -> str:
    try:
        code = proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    if code < 0:
        sig = -code
        if sig == signal.SIGXCPU:
            return "it used up its CPU time"
        if sig == signal.SIGKILL:
            return "it was killed (SIGKILL)"
        return f"it crashed ({signal.Signals(sig).name})"
    return f"it ended the Python process (exit code {code})"


ANSWERED_ERRORS_KEPT = 20


@dataclass
class Sandbox:
    workdir: Path
    limits: Limits
    public: Path | None = None
    applied: dict = field(default_factory=dict)
    proc: LearnerProcess | None = None
    answered_errors: dict = field(default_factory=dict)  # id -> an error the grader answered with
    errors_sent: int = 0
    callbacks: int = 0  # the learner's calls of a helper the grader swapped in, answered here
    shared: shared.Shared = field(default_factory=lambda: shared.Shared(shared.GRADER))

    # Starting and stopping -------------------------------------------------------

    def start(self) -> dict:
        import shutil

        public = self.public or default_public()
        mpl = self.workdir / ".matplotlib"
        if not mpl.exists() and (public / ".matplotlib").is_dir():
            shutil.copytree(public / ".matplotlib", mpl)  # a font cache, so matplotlib starts at once
        user = sandbox_user()
        if user:
            for path in [self.workdir, *self.workdir.rglob("*")]:
                os.chown(path, user["uid"], user["gid"])
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = {**PROCESS_ENV, "HOME": str(self.workdir), "TMPDIR": str(self.workdir),
               "MPLCONFIGDIR": str(self.workdir / ".matplotlib")}
        limits = self.limits
        setup = {"limits": {"memory": limits.memory, "cpu": limits.cpu, "file_size": limits.file_size,
                            "open_files": limits.open_files},
                 "user": user, "site": str(site_packages()), "public": str(public), "env": env,
                 "read": list(_read_roots()) + [str(public)], "write": [str(self.workdir)], "devices": DEVICES,
                 "workdir": str(self.workdir), "landlock": limits.landlock, "seccomp": limits.seccomp}
        try:
            self.proc = Launcher.of(public).spawn(setup, (to_child_r, from_child_w))
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.wfd, self.rfd = to_child_w, from_child_r
        try:
            message = self._recv(time.monotonic() + 60)
        except SandboxLost as lost:
            raise SandboxError(f"the learner's process did not start: {lost.reason}") from None
        # No learner code has run yet: whatever goes wrong here is the grading setup's.
        if message[0] == "failed":
            self.kill()
            raise SandboxError(f"the learner's process did not start:\n{message[1:]}")
        if message[0] != "ready" or len(message) != 3 or not isinstance(message[1], dict):
            self.kill()
            raise SandboxError(f"unexpected first message {message[0]!r}")
        if message[2] != protocol.VERSION:
            self.kill()
            raise SandboxError(f"the learner's process speaks protocol {message[2]!r}, the grader "
                               f"{protocol.VERSION}: {CHILD.name} and protocol.py are of different versions")
        self.applied = message[1]
        return self.applied

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for fd in (self.rfd, self.wfd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.proc = None

    def close(self) -> None:
        if self.alive:
            try:
                self._send("exit")
            except OSError:
                pass
        self.kill()

    # Messages --------------------------------------------------------------------

    def _send(self, *message, share: bool = True) -> None:
        try:
            wire.write_frame(self.wfd, wire.encode(message, self.shared, share))
        except (BrokenPipeError, OSError):
            raise SandboxLost(self._lost_reason()) from None

    def _lost_reason(self) -> str:
        reason = _exit_reason(self.proc) if self.proc else "it is not running"
        self.kill()
        return reason

    def _broken(self, what: str):
        self.kill()
        return SandboxLost(what)

    def _recv(self, deadline: float) -> tuple:
        try:
            payload = wire.read_frame(self.rfd, deadline, self.limits.max_message)
            message = wire.decode(payload, self.shared)
        except TimeoutError:
            self.kill()
            raise SandboxTimeout() from None
        except EOFError:
            raise SandboxLost(self._lost_reason()) from None
        except wire.WireError as err:
            raise self._broken(f"it sent something the grader refuses: {err}") from None
        if not (isinstance(message, tuple) and message and isinstance(message[0], str)):
            raise self._broken("it broke the grader's protocol: a frame that is not a message")
        return message

    def _expect(self, message: tuple, *kinds: str) -> str:
        """The message's kind, one of ``kinds``; anything else ends the learner's process."""
        try:
            return protocol.check_message(message, kinds)
        except ProtocolError as err:
            raise self._broken(f"it broke the grader's protocol: {err}") from None

    def _checked(self, check, *args):
        try:
            return check(*args)
        except ProtocolError as err:
            raise self._broken(f"it broke the grader's protocol: {err}") from None

    # Requests --------------------------------------------------------------------

    def run_cells(self, cells: list[tuple[int, str]], deadline: float, on_cell) -> dict:
        """Run the cells in order, each within the cell time limit (and ``deadline``).

        ``on_cell(index, result)`` is called as each cell finishes. Returns the names the
        cells defined. Raises SandboxTimeout or SandboxLost during the cell that caused it;
        the caller knows which from the cells reported so far.
        """
        self._send("cells", cells)
        for index, _ in cells:
            message = self._recv(min(time.monotonic() + self.limits.cell_timeout, deadline))
            self._expect(message, protocol.CELL)
            on_cell(index, self._checked(protocol.check_run, index, message))
        message = self._recv(min(time.monotonic() + self.limits.cell_timeout, deadline))
        self._expect(message, protocol.CELLS_DONE)
        if len(message) != 2:
            raise self._broken("it broke the grader's protocol: a malformed cells_done")
        return self._checked(protocol.check_names, message[1])

    def get(self, name: str, deadline: float):
        self._send("get", name)
        return self._serve(deadline, {}, "value")[0]

    def call(self, target, args: tuple, kwargs: dict, overrides: dict, deadline: float):
        """Call the learner's function or class (target ("name", name)) or one of its
        objects (("handle", handle)); serve its calls of the ``overrides`` helpers with the
        grader's own. Returns (result, args, kwargs) as they were after the call, so that a
        change to an input shows."""
        self._send("call", target, args, kwargs, sorted(overrides), self.shared.sync())
        return self._serve(deadline, overrides, "return")

    def getattr(self, handle: int, name: str, overrides: dict, deadline: float):
        self._send("getattr", handle, name, self.shared.sync())
        return self._serve(deadline, overrides, "value")[0]

    def setattr(self, handle: int, name: str, value, overrides: dict, deadline: float) -> None:
        self._send("setattr", handle, name, value, self.shared.sync())
        self._serve(deadline, overrides, "value")

    def _serve(self, deadline: float, overrides: dict, answer: str) -> tuple:
        """Wait for the answer to a request (``answer``: "return" to a call, whose body is
        the result and the arguments after it, or "value"; or "raise"); meanwhile answer the
        learner's process when its code calls a swapped helper or uses one of the grader's
        objects."""
        size = {"return": 4, "value": 2}[answer]  # the body, with the changes to shared arrays
        self.shared.context = overrides  # the stubs made meanwhile call with these helpers swapped
        while True:
            message = self._recv(deadline)
            kind, body = self._expect(message, answer, "raise", *protocol.QUESTIONS), message[1:]
            if kind in (answer, "raise"):
                if len(body) != (2 if kind == "raise" else size):
                    raise self._broken(f"it broke the grader's protocol: a malformed {kind}")
                try:
                    self.shared.apply(body[-1])
                except shared.Refused as err:
                    raise self._broken(f"it sent something the grader refuses: {err}") from None
                if kind == "raise":
                    info = self._checked(protocol.check_error, body[0])
                    raise learner_error(info, self.answered_errors.get(info.get("grader_error")))
                return body[:-1]
            if kind == "callback" and len(body) == 3 and body[0] in overrides and _arguments(*body[1:]):
                fn, args, kwargs = overrides[body[0]], body[1], body[2]
                self.callbacks += 1
                self._answer(lambda: fn(*args, **kwargs))
            elif kind == "grader_call" and len(body) == 3 and _arguments(*body[1:]):
                fn, args, kwargs = self._grader_object(body[0]), body[1], body[2]
                self._answer(lambda: fn(*args, **kwargs))
            elif kind == "grader_getattr" and len(body) == 2 and isinstance(body[1], str) \
                    and not body[1].startswith("_"):
                obj, name = self._grader_object(body[0]), body[1]
                self._answer(lambda: _public_attribute(obj, name))
            else:
                raise self._broken(f"it broke the grader's protocol: a malformed {kind}")

    def _grader_object(self, handle):
        try:
            return self.shared.own_object(handle)
        except (KeyError, TypeError):
            raise self._broken(f"it broke the grader's protocol: a reference {handle!r} it was never given") \
                from None

    def _answer(self, compute) -> None:
        try:
            value = compute()
        except Exception as err:  # the helper's error goes back into the learner's code
            # Kept (the last few) with its calls: if it comes back raised by the learner's code,
            # the checker reads them as in a notebook, where the helper ran in the same process.
            self.answered_errors[self.errors_sent] = err
            self.answered_errors.pop(self.errors_sent - ANSWERED_ERRORS_KEPT, None)
            self._send("error", {"ename": type(err).__name__, "args": [str(err)[:2000]], "id": self.errors_sent},
                       share=False)
            self.errors_sent += 1
            return
        self._send("reply", value, share=False)

    def probe(self, targets: dict) -> dict:
        self._send("probe", targets)
        message = self._recv(time.monotonic() + 30)
        self._expect(message, protocol.PROBE)
        return message[1] if len(message) == 2 and isinstance(message[1], dict) else {}


def _public_attribute(obj, name: str):
    """An attribute of one of the grader's objects, for the learner's code: data, arrays, its
    own methods, objects it holds; not a module, class or function (a way out of the sandbox
    through the grader, like a reference that keeps numpy or os at hand)."""
    value = getattr(obj, name)
    if isinstance(value, (types.ModuleType, type)) or (
            isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType))
            and getattr(value, "__self__", None) is not obj):
        raise AttributeError(f"{name} is not shared with the learner's code")
    return value


def _arguments(args, kwargs) -> bool:
    return isinstance(args, tuple) and isinstance(kwargs, dict) and all(isinstance(k, str) for k in kwargs)


# Errors from the learner's code ---------------------------------------------------------

_error_classes: dict[tuple, type] = {}


def learner_error(info: dict, grader_cause: BaseException | None = None) -> Exception:
    """An exception on the grader's side that says what the learner's code raised.

    Builtin exception types are rebuilt as themselves (the checker's hints look at
    TypeError and KeyError); any other type becomes a new class of the same name under its
    nearest builtin base. Exit and interrupt exceptions become ordinary ones: the
    learner's ``exit()`` must not stop the grader. It carries the calls it came through
    (``learner_frames``, as ``protocol.check_error`` checked them) and, when it was one of
    the grader's own errors passed back through the learner's code, that error
    (``grader_cause``): the checker's runner reads both (``checking.RemoteRunner``).
    """
    name = str(info.get("ename", "Exception"))
    bases = [getattr(builtins, b, None) for b in info.get("bases", []) if isinstance(b, str)]
    bases = [b for b in bases if isinstance(b, type) and issubclass(b, Exception)]
    cls = getattr(builtins, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        base = bases[0] if bases else Exception
        key = (name, base)
        if key not in _error_classes:
            _error_classes[key] = type(name if name.isidentifier() else "LearnerError", (base,), {})
        cls = _error_classes[key]
    args = [a for a in info.get("args", []) if isinstance(a, (str, int, float, bool, type(None)))]
    try:
        err = cls(*args)
        str(err)
    except Exception:
        err = cls(str(info.get("evalue", "")))
    err.learner_frames = info.get("frames", [])
    err.grader_cause = grader_cause
    return err

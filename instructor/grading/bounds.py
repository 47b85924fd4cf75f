"""The bounds probe: start one sandbox where the submissions will run, try from inside it
what the bounds must stop, and say what holds. Run on every worker before grading (in the
worker's own process, so it sees that machine's kernel, libraries and user); the process
that owns the run prints the table and leaves out the workers that lack a bound."""

from __future__ import annotations

import os
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from instructor.grading.sandbox import Limits, Sandbox

BOUNDS = ("memory", "files", "processes")
_DENIED = ("fork", "signal the grader", "open a socket", "raise the memory limit")


@dataclass
class WorkerBounds:
    """What one worker's probe found: a short cell per bound, and the bounds it lacks."""

    worker: str
    memory: str = ""
    files: str = ""
    processes: str = ""
    user: str = ""
    missing: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)


def probe(limits: Limits, secrets: list[str], writes: list[str] = (), worker: str = "") -> WorkerBounds:
    """Probe the bounds in this process. ``secrets``: files a submission must not read
    (the grader's own code is always among them; a source notebook is written here for it);
    ``writes``: files it must not create (beside the temporary folder's, always tried)."""
    import instructor
    out = WorkerBounds(worker or f"{socket.gethostname()}:{os.getpid()}")
    with tempfile.TemporaryDirectory(prefix="cnnbook-probe-") as tmp:
        source = Path(tmp) / "secret" / "source.ipynb"
        source.parent.mkdir()
        source.write_text("{}")
        secret = sorted(str(p) for p in Path(instructor.__file__).parent.glob("*.py")) + [str(source)] + secrets
        forbidden = [str(Path(tmp) / "outside"), str(Path(tempfile.gettempdir()) / f".cnnbook-probe-{os.getpid()}"),
                     *writes]
        (Path(tmp) / "work").mkdir()
        box = Sandbox(Path(tmp) / "work", limits)
        try:
            applied = box.start()
            found = box.probe({"read": secret, "write": forbidden, "grader": os.getpid()})
        finally:
            box.close()
            for path in forbidden:
                Path(path).unlink(missing_ok=True)
    mem = applied["limits"].get("RLIMIT_AS")
    if isinstance(mem, int) and found.get("memory limit") == mem:
        out.memory = f"{mem >> 20} MB"
    else:
        out.missing.append("memory")
        out.memory = f"NO ({mem})"
    leaked = [p for p in secret + forbidden if found.get(f"read {p}") == "allowed" or found.get(f"write {p}") == "allowed"]
    files = applied.get("files", {})
    if files.get("ok") and not leaked:
        out.files = f"Landlock ABI {files['abi']}"
        out.details.append(f"files: reads only Python and its libraries, writes only its working folder; rights "
                           f"handled: {', '.join(files.get('handled', []))}")
    else:
        out.missing.append("files")
        out.files = f"NO ({files.get('why') or 'reached: ' + ', '.join(leaked)})"
    calls = applied.get("syscalls", {})
    blocked = [k for k in _DENIED if str(found.get(k, "")).startswith("denied")]
    if calls.get("ok") and len(blocked) == len(_DENIED):
        out.processes = f"seccomp ({calls.get('by', '?')})"
        out.details.append(f"processes: denied {', '.join(calls.get('denied', []))}")
    else:
        out.missing.append("processes")
        allowed = sorted(set(_DENIED) - set(blocked))
        out.processes = f"NO ({calls.get('why') or 'allowed: ' + ', '.join(allowed)})"
    out.user = str(applied.get("user"))
    return out


def table(limits: Limits, found: list[WorkerBounds]) -> str:
    """The probe's table, one row per worker, and the details the first complete one gave."""
    head = ("worker", "memory", "files", "processes", "user")
    rows = [head] + [(b.worker, b.memory, b.files, b.processes, b.user) for b in found]
    widths = [min(max(len(r[i]) for r in rows), 48) for i in range(len(head))]
    lines = [f"Bounds on every submission, probed on each worker (time: {limits.cell_timeout:g} s per cell, "
             f"{limits.submission_timeout:g} s per notebook, wall clock; the learner's process is killed):"]
    lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    whole = next((b for b in found if not b.missing), None)
    if whole:
        lines += [f"  {line}" for line in whole.details]
    for b in found:
        if b.missing:
            lines.append(f"  {b.worker} lacks: {', '.join(b.missing)}")
    return "\n".join(lines)


def lacking(applied: dict) -> list[str]:
    """The bounds a notebook was run without, from what its sandbox reported applying
    (empty for a notebook that was not run)."""
    if not applied:
        return []
    absent = []
    if not isinstance((applied.get("limits") or {}).get("RLIMIT_AS"), int):
        absent.append("memory")
    if not (applied.get("files") or {}).get("ok"):
        absent.append("files")
    if not (applied.get("syscalls") or {}).get("ok"):
        absent.append("processes")
    return absent

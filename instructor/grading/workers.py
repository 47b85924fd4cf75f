"""Worker processes that run jobs (grading, feedback) for the process that owns the run.

Each worker has its own pipe, so a worker that dies takes only its current job with it:
the owner sees its process end, reports that job as failed and starts a new worker. The
workers ignore Ctrl-C (the owner decides what an interrupt means), die with the owner,
and carry a soft address-space limit as a last guard for the grader's own memory.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import traceback
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait


def _run(kind: str, payload):
    if kind == "grade":
        from instructor.grading.job import grade
        return grade(payload)
    if kind == "feedback":
        from instructor.grading.feedback import generate_feedback
        return generate_feedback(**payload)
    raise ValueError(kind)


def _worker(conn, memory_cap: int | None) -> None:
    import os
    os.environ["MPLBACKEND"] = "Agg"  # a setup cell that draws, drawn nowhere
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if memory_cap:
        import resource
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (memory_cap, hard))
    import warnings
    warnings.filterwarnings("ignore", message="Object of type .* not in session")
    import instructor.grading.job  # noqa: F401  (import once, before the first job)
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        key, kind, payload = task
        try:
            conn.send((key, kind, "ok", _run(kind, payload)))
        except BaseException:  # reported to the owner; the worker goes on with the next job
            conn.send((key, kind, "error", traceback.format_exc(limit=8)))


@dataclass
class _Worker:
    process: mp.Process
    conn: object
    task: tuple | None = None


class Pool:
    def __init__(self, size: int, memory_cap: int | None = None):
        self.ctx = mp.get_context("spawn")
        self.memory_cap = memory_cap
        self.queue: deque = deque()
        self.workers = [self._start() for _ in range(max(1, size))]

    def _start(self) -> _Worker:
        parent, child = self.ctx.Pipe()
        process = self.ctx.Process(target=_worker, args=(child, self.memory_cap), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def submit(self, key, kind: str, payload) -> None:
        self.queue.append((key, kind, payload))

    @property
    def busy(self) -> int:
        return sum(w.task is not None for w in self.workers)

    def pending(self) -> int:
        return len(self.queue) + self.busy

    def _dispatch(self) -> None:
        for w in self.workers:
            if w.task is None and self.queue:
                w.task = self.queue.popleft()
                w.conn.send(w.task)

    def next_result(self, timeout: float):
        """(key, kind, status, value) of a finished job, or None after ``timeout`` seconds.
        status is "ok", "error" (the job raised; value is the traceback) or "died"."""
        self._dispatch()
        busy = [w for w in self.workers if w.task is not None]
        if not busy:
            return None
        ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout)
        for w in busy:
            if w.conn in ready:
                try:
                    message = w.conn.recv()
                except EOFError:
                    message = None
                if message is not None:
                    w.task = None
                    return message
            if w.process.sentinel in ready or not w.process.is_alive():
                key, kind, _ = w.task
                code = w.process.exitcode
                self.workers[self.workers.index(w)] = self._start()
                return key, kind, "died", f"the grading process ended (exit code {code})"
        return None

    def close(self) -> None:
        for w in self.workers:
            try:
                w.conn.send(None)
            except OSError:
                pass
        for w in self.workers:
            w.process.join(timeout=10)
            if w.process.is_alive():
                w.process.kill()

    def kill(self) -> None:
        for w in self.workers:
            if w.process.is_alive():
                w.process.kill()
        for w in self.workers:
            w.process.join()

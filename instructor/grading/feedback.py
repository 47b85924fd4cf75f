"""The students' feedback, written by nbgrader from the autograded notebooks and the
gradebook (nbgrader_config.py leaves the hidden tests out of it), by a pool of processes
on the machine that owns the gradebook.

nbgrader's ``generate_feedback`` for one student reads the gradebook (its scores and
comments, through ``GetGrades``) and that student's autograded notebooks, and writes only
``feedback/<student>/<assignment>/``; so students' feedback can be written at the same time
in several processes. Its one write to the database is the first time any ``Gradebook`` is
opened without a course id: it adds nbgrader's ``default_course`` row, and two processes
doing that at once collide. ``Pool`` therefore has the owner add that row before it starts
(``gradebook.Book.ready_for_feedback``). What the feedback was written from (its hash) is
recorded by the owner, after each student's feedback succeeded.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

_apis: dict = {}


def generate_feedback(course: str, db_url: str, assignment: str, student: str) -> str:
    """nbgrader's feedback for one student; returns the student's id."""
    key = (course, db_url)
    if key not in _apis:
        from nbgrader.apps import NbGraderAPI

        from instructor import release
        config = release.nbgrader_config(Path(course))
        config.CourseDirectory.db_url = db_url
        _apis[key] = NbGraderAPI(config=config)
    result = _apis[key].generate_feedback(assignment, student, force=True)
    if not result["success"]:
        raise RuntimeError(f"nbgrader generate_feedback failed for {student}:\n{result.get('log')}")
    return student


def _start_process() -> None:
    # Ctrl-C reaches the whole process group: the owner decides what it means (pending
    # feedback cancelled, the feedback being written finished), so these ignore it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("MPLBACKEND", "Agg")
    import nbgrader.apps  # noqa: F401  (imported while the owner still grades, not with the first student)


def _timed(write, course: str, db_url: str, assignment: str, student: str) -> float:
    start = time.monotonic()
    write(course, db_url, assignment, student)
    return time.monotonic() - start


@dataclass
class Written:
    """One student's feedback, finished: the seconds it took in its process, or why it failed."""

    student: str
    seconds: float = 0.0
    error: BaseException | None = None


class Pool:
    """Feedback written by ``processes`` processes of this machine (default: one per core),
    each with its own nbgrader; ``submit`` a student, collect with ``finished``."""

    def __init__(self, course: Path, db_url: str, assignment: str, processes: int | None = None,
                 write=generate_feedback):
        self.args = (str(course), db_url, assignment)
        self.write = write
        self.processes = processes or len(os.sched_getaffinity(0))
        # spawn, not fork: the owner runs a Dask client's threads and a database connection.
        self.executor = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_start_process)
        self.futures: dict[Future, str] = {}
        self.first = self.last = None  # when the first and the last feedback finished
        self.written = 0

    def submit(self, student: str) -> None:
        self.futures[self.executor.submit(_timed, self.write, *self.args, student)] = student

    @property
    def pending(self) -> int:
        return len(self.futures)

    def finished(self, wait: float = 0.0) -> list[Written]:
        """The feedback finished since the last call (waiting up to ``wait`` seconds for one)."""
        from concurrent.futures import FIRST_COMPLETED
        from concurrent.futures import wait as wait_for
        if not self.futures:
            return []
        done, _ = wait_for(list(self.futures), timeout=wait, return_when=FIRST_COMPLETED)
        out = []
        for future in done:
            student = self.futures.pop(future)
            try:
                out.append(Written(student, seconds=future.result()))
            except CancelledError:
                continue
            except Exception as err:
                out.append(Written(student, error=err))
        if out:
            self.last = time.monotonic()
            self.first = self.first or self.last
            self.written += len(out)
        return out

    @property
    def interval(self) -> float:
        """Wall-clock seconds per feedback between the first finished and the last: the pool's
        pace once its processes have started (0 with fewer than two)."""
        return (self.last - self.first) / (self.written - 1) if self.written > 1 else 0.0

    def cancel(self) -> None:
        """Drop what has not started; what is being written finishes (see ``finished``)."""
        for future in self.futures:
            future.cancel()

    def close(self) -> None:
        self.cancel()
        self.executor.shutdown(wait=True, cancel_futures=True)

"""Where the jobs run: dask.distributed, on an existing cluster (``--scheduler
tcp://HOST:8786``) or on a ``LocalCluster`` of this machine (one process per core, one
thread each).

A task is one ``job.grade(job, assignment)``: plain data in, plain data out, so a worker
needs the course's package (with its ``[grading]`` extra) and nothing of the course
folder. The assignment's files go to each worker once (scattered); each submission's
files go with its task. The sandbox and its bounds stay inside the task, so a submission
that the sandbox kills is a failed submission, not a lost worker; a worker that dies in
the middle of a task (killed, out of memory) has its task run again elsewhere by the
scheduler. Results come back to the one process that owns the gradebook.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from instructor.grading.bounds import WorkerBounds, probe
from instructor.grading.job import Assignment, Job, Result
from instructor.grading.sandbox import Limits

CONNECT_SECONDS = 10   # to reach the scheduler
WORKERS_SECONDS = 60   # for a cluster's first worker to join
HOW_TO_INSTALL = "pip install -e '.[grading]' (dask[distributed])"


class EngineError(Exception):
    """The engine cannot start or lost every worker; said in one line."""


def _this_worker() -> str:
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return f"local:{os.getpid()}"


def _probe_task(limits: Limits, secrets: list[str], writes: list[str]) -> WorkerBounds:
    return probe(limits, secrets, writes, _this_worker())


def grade_task(job: Job, assignment: Assignment) -> Result:
    """One submission, on whichever worker the scheduler chose."""
    os.environ.setdefault("MPLBACKEND", "Agg")  # a setup cell that draws, drawn nowhere
    from instructor.grading.job import grade
    result = grade(job, assignment)
    result.worker = _this_worker()
    return result


@dataclass
class Done:
    """A finished task: the student, and the result or why there is none."""

    student: str
    result: Result | None
    error: str = ""


class Engine:
    """A Dask client on a cluster (given or made here), for one run."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None):
        try:
            import distributed
        except ImportError:
            raise EngineError(f"the grading engine is not installed: {HOW_TO_INSTALL}") from None
        del distributed  # only its presence is asked here
        self.scheduler, self.workers = scheduler, workers
        self.client = self.cluster = None
        self.allowed: list[str] | None = None
        self.futures: dict = {}
        self.shared = self.pending = None

    def start(self) -> "Engine":
        from distributed import Client, LocalCluster
        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout=CONNECT_SECONDS)
            except (OSError, TimeoutError) as err:
                raise EngineError(f"cannot reach the Dask scheduler at {self.scheduler}: "
                                  f"{str(err).splitlines()[0] if str(err) else type(err).__name__}") from None
            try:
                self.client.wait_for_workers(1, timeout=WORKERS_SECONDS)
            except TimeoutError:
                self.close()
                raise EngineError(f"no worker joined the Dask scheduler at {self.scheduler} within "
                                  f"{WORKERS_SECONDS} s") from None
        else:
            os.environ.setdefault("MPLBACKEND", "Agg")
            n = self.workers or len(os.sched_getaffinity(0))
            # The workers ignore Ctrl-C (the terminal sends it to them too): this process
            # decides what an interrupt means, and stops them itself.
            main = threading.current_thread() is threading.main_thread()
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
            try:
                self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                            dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
                self.client.wait_for_workers(n)
            finally:
                if main:
                    signal.signal(signal.SIGINT, previous)
        return self

    @property
    def names(self) -> list[str]:
        return sorted(self.client.scheduler_info(n_workers=-1)["workers"]) if self.client else []

    def probe(self, limits: Limits, secrets: list[str], writes: list[str]) -> list[WorkerBounds]:
        """Every worker's bounds, each probed on that worker (at once, one task each)."""
        names = self.names
        futures = [self.client.submit(_probe_task, limits, secrets, writes, workers=[w], allow_other_workers=False,
                                      pure=False, key=f"probe-{k}-{time.time_ns()}") for k, w in enumerate(names)]
        found = []
        for w, future in zip(names, futures):
            try:
                found.append(future.result(timeout=120))
            except Exception as err:  # a worker whose sandbox cannot even start lacks every bound
                found.append(WorkerBounds(w, "?", "?", "?", "?", ["memory", "files", "processes"],
                                          [f"the probe failed: {type(err).__name__}: {err}"]))
        return found

    def restrict(self, workers: list[str]) -> None:
        """Send the tasks to these workers only (the others lack a bound)."""
        self.allowed = workers

    def submit(self, jobs: list[Job], assignment: Assignment) -> None:
        """Queue these jobs; the assignment goes to every worker once."""
        from distributed import as_completed
        if self.shared is None:
            self.shared = self.client.scatter(assignment, broadcast=True, hash=False)
            self.pending = as_completed()
        where = {"workers": self.allowed, "allow_other_workers": False} if self.allowed is not None else {}
        for job in jobs:
            future = self.client.submit(grade_task, job, self.shared, key=f"grade-{job.student}-{time.time_ns()}",
                                        pure=False, **where)
            self.futures[future] = job.student
            self.pending.add(future)

    def results(self, poll: float = 0.5) -> Iterator[Done | None]:
        """Finished tasks as they finish, including those submitted meanwhile; None every
        ``poll`` seconds while none did (so the caller can show progress and see an interrupt)."""
        pending = self.pending
        while pending is not None and not pending.is_empty():
            batch = pending.next_batch(block=False)
            if not batch:
                self._check_workers()
                yield None
                time.sleep(poll)
                continue
            for future in batch:
                student = self.futures.pop(future)
                if future.status == "finished":
                    yield Done(student, future.result())
                else:
                    err = future.exception()
                    yield Done(student, None, f"{type(err).__name__}: {err}".strip())

    def _check_workers(self) -> None:
        if self.allowed is not None and self.futures and not set(self.allowed) & set(self.names):
            raise EngineError("every worker that passed the bounds probe has left the cluster; "
                              "run the same command again to probe the workers there now")

    def busy(self) -> int:
        """Workers running a task now."""
        return sum(1 for keys in self.client.processing().values() if keys)

    def cancel(self) -> None:
        if self.futures:
            self.client.cancel(list(self.futures))
            self.futures.clear()
        if self.pending is not None:
            self.pending.clear()

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None

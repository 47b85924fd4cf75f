"""cnnbook-grade: from a folder or an LMS zip of submissions to grades, feedback and a
class report, in one command.

    cnnbook-grade ASSIGNMENT [SOURCE] [options]

SOURCE is a folder laid out as nbgrader expects (<student>/<assignment>/*.ipynb; default:
the course's submitted/ folder) or the zip Canvas or Moodle gives for download. The
command checks its bounds and the solutions first, records the assignment in the
gradebook, imports the students, grades every new or changed submission in parallel,
writes the autograded notebooks and each student's feedback where nbgrader keeps them,
and writes grades.csv and the class report to grading/<assignment>/. The grading runs on
dask.distributed: a LocalCluster of this machine, or the cluster of --scheduler; every
worker's bounds are probed first, and this process alone writes the gradebook. The feedback
is written on this machine by a pool of processes (--feedback-workers): after the grading
on a LocalCluster, which takes every core; while the grading goes on with --scheduler.
Ctrl-C stops it; run it again to go on: what was recorded stays, and only what
is left is graded.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import json
import os
import signal
import socket
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from instructor.grading import bounds, deadline, gradebook, intake, lms, report
from instructor.grading.commit import commit
from instructor.grading.engine import Engine, EngineError
from instructor.grading.feedback import Pool, Written, generate_feedback
from instructor.grading.files import content_hash
from instructor.grading.job import Assignment, Job, Result, grade, setup_namespace
from instructor.grading.notebooks import check_contract, load_assignment
from instructor.grading.sandbox import Limits, SandboxError
from instructor.paths import ROOT

class Stop(Exception):
    """A reason not to grade, said before grading starts."""


# Preflight ---------------------------------------------------------------------------------

def grader_hash(source_dir: Path) -> str:
    """Of everything a grade depends on besides the submission: the source notebooks, the
    checker and its suites, the hidden tests and references, and this pipeline. A change to
    any of them regrades every submission."""
    import cnnbook
    import public_tests

    import instructor
    files = {f"source/{p.name}": p.read_bytes() for p in source_dir.glob("*.ipynb")}
    files["public_tests.py"] = Path(public_tests.__file__).read_bytes()
    for package in (cnnbook, instructor):
        base = Path(package.__file__).parent
        files.update({f"{package.__name__}/{p.relative_to(base).as_posix()}": p.read_bytes()
                      for p in base.rglob("*") if p.suffix in (".py", ".npz", ".json")
                      and "__pycache__" not in p.parts})
    return content_hash(files)


def unbounded(rows) -> list[str]:
    """The bounds some submissions were graded without (as their stored results say), for
    the report's page."""
    missing: dict[str, set] = {}
    for row in rows:
        for record in ((row.result or {}).get("notebooks") or {}).values():
            for what in bounds.lacking(record.get("bounds") or {}):
                missing.setdefault(what, set()).add(row.student)
    return [f"{what} ({len(students)} submissions)" for what, students in sorted(missing.items())]


def self_check(job: Job, assignment: Assignment, book, ghash: str, limits: Limits) -> None:
    """Grade the solutions before the class, in this process: a broken hidden test or
    reference would otherwise give everyone zero. A pass is remembered in the gradebook for
    the grader and limits it was made with, so a re-run with the same ones does not repeat it."""
    key = hashlib.sha256(json.dumps([ghash, asdict(limits)], sort_keys=True).encode()).hexdigest()
    if book.passed_self_check(key):
        print("The solutions scored full marks with this grader before.", flush=True)
        return
    problems = []
    for nb in assignment.notebooks().values():
        problems += check_contract(nb, set(setup_namespace(nb)))
    if problems:
        raise Stop("the test cells cannot be graded outside the kernel:\n  " + "\n  ".join(problems))
    result = grade(job, assignment)
    failed = [t for t in result.tests if t.status != "passed"]
    if failed or not result.tests:
        lines = [f"{t.exercise}: {t.public_message or t.hidden_message or t.status}" for t in failed]
        raise Stop("the solutions do not pass their own tests, so no submission could:\n  "
                   + "\n  ".join(lines or ["no graded test cells were found"]))
    total = sum(t.points for t in result.tests)
    print(f"The solutions score {total:g}/{total:g} ({result.seconds:.1f} s).", flush=True)
    book.set_self_check(key)


# Progress -------------------------------------------------------------------------------------

class Progress:
    def __init__(self, total: int, stream=None, what: str = "grading"):
        # sys.stderr as it is now, not as it was at import (a caller may have replaced it since)
        self.total, self.done, self.stream, self.what = total, 0, stream or sys.stderr, what
        self.start = time.monotonic()
        self.tty = self.stream.isatty()
        self.last = -1.0

    def step(self, note: str = "", busy: int | None = None, done: int = 1) -> None:
        """``done`` more submissions finished (0: only show the state); ``busy`` workers at work."""
        self.done += done
        now = time.monotonic()
        if not self.tty and self.done < self.total and now - self.last < 5:
            return
        if not done and now - self.last < 1:
            return
        self.last = now
        elapsed = now - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = f"about {_clock((self.total - self.done) / rate)} left" if rate else ""
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        workers = f", {busy} workers busy" if busy is not None else ""
        line = (f"{self.what} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"{rate * 60:.1f}/min{workers}, {_clock(elapsed)} elapsed, {left} {note[:30]}")
        self.stream.write(("\r" + line.ljust(100)) if self.tty else line + "\n")
        if self.tty and self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


# The run ---------------------------------------------------------------------------------------

@dataclass
class Stats:
    graded: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)
    feedback: int = 0
    grading_seconds: float = 0.0
    recording_seconds: float = 0.0   # this process's share: results into the gradebook and the course folder
    feedback_interval: float = 0.0   # wall-clock seconds per feedback, from the first written to the last
    feedback_process_seconds: float = 0.0  # the feedback processes' time, summed over students
    feedback_owner_seconds: float = 0.0    # this process's share: each written feedback's hash recorded
    feedback_processes: int = 0
    interrupted: bool = False
    outputs: dict = field(default_factory=dict)


def _interrupts():
    """SIGINT and SIGTERM set a flag the loop checks between commits; a second one stops at once."""
    state = {"stop": False}

    def handler(signum, frame):
        if state["stop"]:
            raise KeyboardInterrupt
        state["stop"] = True
    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    return state, previous


class Run:
    """One invocation: the course's folders, the limits, the gradebook, a scratch folder."""

    def __init__(self, args):
        from nbgrader.coursedir import CourseDirectory

        from instructor import release
        self.args = args
        self.course = Path(args.course).resolve()
        config = release.nbgrader_config(self.course)
        cd = CourseDirectory(config=config)
        self.course_id = cd.course_id
        self.assignment = args.assignment
        self.source_dir = self.course / cd.source_directory / self.assignment
        release_dir = self.course / cd.release_directory / self.assignment
        self.release_dir = str(release_dir) if release_dir.is_dir() else None
        self.submitted = self.course / cd.submitted_directory
        self.autograded = self.course / cd.autograded_directory
        self.feedback = self.course / cd.feedback_directory
        self.db_url = args.db or cd.db_url
        self.out = Path(args.output).resolve() if args.output else self.course / "grading" / self.assignment
        if not self.source_dir.is_dir() or not any(self.source_dir.glob("*.ipynb")):
            raise Stop(f"no source notebooks in {self.source_dir}")
        timeout = args.timeout or float(config.Execute.timeout if "timeout" in config.Execute else 30)
        self.limits = Limits(cell_timeout=timeout, memory=args.memory << 20,
                             submission_timeout=args.notebook_timeout or max(900.0, 8 * timeout))
        self.stats = Stats()
        self.engine: Engine | None = None
        self.files: Assignment | None = None
        self.feedback_later: set = set()
        self.pool: Pool | None = None
        self.roster: lms.Roster | None = None
        self.due = None
        self.download: intake.Intake | None = None
        self.lms: str | None = args.lms if args.lms in ("canvas", "moodle") else None
        self.canvas_column: str | None = None

    def job(self, student: str, folder: Path) -> Job:
        return Job.read(student, self.assignment, folder, self.limits)

    def __call__(self) -> Stats:
        args = self.args
        if args.scheduler and not args.report_only:
            self.engine = Engine(args.scheduler).start()  # unreachable: said before anything is written
        self.book = self.lock = None
        try:
            self.check_inputs()  # everything the instructor gave, before any work or any write
            subs = self.download.submissions if self.download else []
            if not args.report_only:
                self.lock = gradebook.RunLock(self.db_url, self.assignment, holder()).acquire()
            self.book = gradebook.Book(self.db_url, self.course_id, self.assignment)
            todo, feedback = self.plan(subs) if not args.report_only else ({}, set())
            if todo or not self.book.has_assignment() or self.book.source_hash() != self.source_hash():
                if not args.report_only:
                    self.files = Assignment.read(self.assignment, self.source_dir,
                                                 Path(self.release_dir) if self.release_dir else None)
                    self.preflight(bool(todo))
            self.prepare_gradebook()
            if self.download:
                self.download.write()
                self.grade(todo, feedback)
                if self.stats.interrupted:
                    return self.stats
            self.write_outputs()
        finally:
            if self.book is not None:
                self.book.close()
            if self.lock is not None:
                self.lock.release()
            if self.engine is not None:
                self.engine.close()
        return self.stats

    def source_hash(self) -> str:
        return content_hash({p.name: p.read_bytes() for p in self.source_dir.glob("*.ipynb")})

    def check_inputs(self) -> None:
        """The deadline, the roster, the download and the students asked for, each refused in
        one line when wrong; the gradebook and the course folder are not touched here."""
        args = self.args
        try:
            if args.tz:
                deadline.zone(args.tz)
            if args.due:
                self.due = deadline.parse_due(args.due, args.tz)
                print(f"Deadline: {deadline.describe(self.due, args.tz)}.", flush=True)
            if args.roster:
                self.roster = lms.read_roster(Path(args.roster))
        except (deadline.DeadlineError, lms.RosterError) as err:
            raise Stop(str(err)) from None
        if not args.report_only:
            self.read_download()
        if self.lms == "canvas":
            try:
                self.canvas_column = lms.canvas_column(self.roster, self.assignment, args.canvas_column)
            except lms.RosterError as err:
                raise Stop(str(err)) from None

    def read_download(self) -> None:
        args = self.args
        src = Path(args.source).resolve() if args.source else self.submitted
        if not src.exists():
            raise Stop(f"{src}: no such file or folder (a Canvas or Moodle zip, or a folder "
                       "<student>/<assignment>/*.ipynb)")
        expected = {name: {c.grade_id for c in nb.cells if c.grade_id}
                    for name, nb in load_assignment(self.source_dir).items()}
        tz = deadline.zone(args.tz) if args.tz else None
        download = intake.read_download(src, self.assignment, expected, self.submitted, self.roster, args.lms, tz)
        self.download = download
        if download.lms in ("canvas", "moodle"):
            self.lms = self.lms or download.lms
        table = download.write_table(self.out / "intake.csv")
        print("\n".join(download.summary()), flush=True)
        print(f"  the whole table: {table}", flush=True)
        print(f"Lateness: {download.lateness}.", flush=True)
        for line in download.ignored_rows:
            print(f"  roster row not used: {line}", flush=True)
        problems = []
        if download.unmatched and not args.allow_unmatched:
            names = ", ".join(e.name for e in download.unmatched[:5])
            more = f" and {len(download.unmatched) - 5} more" if len(download.unmatched) > 5 else ""
            raise Stop(f"{len(download.unmatched)} entries of {src.name} belong to no student: {names}{more} "
                       f"(see {table}); grade anyway with --allow-unmatched")
        if download.not_on_roster:
            problems.append(f"in the download but not on the roster: {', '.join(download.not_on_roster)}")
        if download.by_name:
            problems.append(f"matched by name, the roster giving no LMS id: {', '.join(download.by_name)}")
        if self.roster is not None and download.lms != "folder" and self.roster.without_lms_id():
            problems.append(f"on the roster without an LMS id: {', '.join(self.roster.without_lms_id())}")
        for line in problems:
            print(f"Roster: {line}.", flush=True)
        if problems and args.strict_roster:
            raise Stop(f"--strict-roster: the roster and the download disagree ({'; '.join(problems)})")
        if args.student:
            present = {s.student for s in download.submissions} | set(self.roster.students if self.roster else ())
            unknown = [s for s in args.student if s not in present]
            if unknown:
                raise Stop(f"--student {', '.join(unknown)}: not in {src.name} nor on the roster")
            download.submissions = [s for s in download.submissions if s.student in args.student]

    def feedback_written(self, written: Written) -> None:
        """One student's feedback, finished in the pool: what it was written from recorded in
        the gradebook, or the failure said in one line (the others go on)."""
        stats, student = self.stats, written.student
        if written.error is not None:
            if isinstance(written.error, DBAPIError):
                raise written.error
            self.book.ping()  # a database that is gone stops the run, not one failure per student
            text = str(written.error).strip()
            stats.errors.append((student, text))
            self.out.mkdir(parents=True, exist_ok=True)
            with open(self.out / "feedback-errors.log", "a", encoding="utf-8") as log:
                log.write(f"--- {student}\n{text}\n")
            print(f"\nCould not write the feedback of {student}: {_gist(text)} (the whole log: "
                  f"{self.out / 'feedback-errors.log'})", file=sys.stderr)
            return
        start = time.monotonic()
        folder = self.autograded / student / self.assignment
        self.book.set_feedback_hash(student, self.book.feedback_hash(student, folder))
        stats.feedback += 1
        stats.feedback_process_seconds += written.seconds
        stats.feedback_owner_seconds += time.monotonic() - start

    def plan(self, subs) -> tuple[dict, set]:
        """What to grade (new or changed submissions, or all with --force or --student), and
        whose feedback to write again (a manual grade or comment changed since)."""
        args, book, stats = self.args, self.book, self.stats
        self.ghash = grader_hash(self.source_dir)
        states = book.states()
        todo = {}
        for sub in subs:
            chash = content_hash(sub.files if sub.files is not None else sub.folder)
            state = states.get(sub.student)
            fresh = (state and state["content_hash"] == chash and state["grader_hash"] == self.ghash
                     and book.submission(sub.student) is not None)
            if fresh and not args.force and not args.student:
                stats.unchanged += 1
            else:
                todo[sub.student] = (sub, chash)
        print(f"{len(todo)} submissions to grade, {stats.unchanged} unchanged since they were graded.", flush=True)
        feedback = set()
        if not args.no_feedback:
            for sub in subs:
                state = states.get(sub.student)
                folder = self.autograded / sub.student / self.assignment
                if sub.student not in todo and state and \
                        state.get("feedback_hash") != book.feedback_hash(sub.student, folder):
                    feedback.add(sub.student)
        return todo, feedback

    def secrets(self) -> list[str]:
        """Files of this machine a submission must not read (a worker elsewhere checks its own)."""
        found = [str(next(self.source_dir.glob("*.ipynb")))]
        if self.db_url.startswith("sqlite:///"):
            found.append(self.db_url.removeprefix("sqlite:///"))
        return found

    def preflight(self, grading: bool) -> None:
        """Probe every worker's bounds and leave out those that lack one; grade the solutions."""
        if grading:
            self.engine = self.engine or Engine(workers=self.args.workers).start()
            found = self.engine.probe(self.limits, self.secrets(), [str(self.course / ".cnnbook-bounds-probe")])
            print(bounds.table(self.limits, found), flush=True)
            whole = [b.worker for b in found if not b.missing]
            lacking = [b for b in found if b.missing]
            if lacking and self.args.unbounded:
                missing = sorted({m for b in lacking for m in b.missing})
                print(f"WARNING (--unbounded): grading without these bounds: {', '.join(missing)}", flush=True)
            elif lacking and not whole:
                missing = sorted({m for b in lacking for m in b.missing})
                raise Stop(f"these bounds are not available on any worker: {', '.join(missing)}; a submission "
                           "could read the solutions and the gradebook or reach beyond its process. Grade on "
                           "machines that have them (Linux 5.13+ with Landlock, libseccomp2), or, knowing what "
                           "that means, with --unbounded")
            elif lacking:
                print(f"Left out of this run ({len(lacking)} of {len(found)} workers lack a bound): "
                      + "; ".join(f"{b.worker} ({', '.join(b.missing)})" for b in lacking), flush=True)
                self.engine.restrict(whole)
        self_check(self.job("(solutions)", self.source_dir), self.files, self.book, self.ghash, self.limits)

    def prepare_gradebook(self) -> None:
        book = self.book
        digest = self.source_hash()
        if not book.has_assignment() or book.source_hash() != digest:
            book.close()
            gradebook.sync_assignment(self.course, self.assignment, self.db_url)
            self.book = book = gradebook.Book(self.db_url, self.course_id, self.assignment)
            book.set_source_hash(digest)
            print(f"Recorded {self.assignment} (its cells and points) in the gradebook.", flush=True)
        if self.due is not None:
            book.set_duedate(deadline.as_utc(self.due))
        if self.roster is not None:
            book.ensure_students(self.roster.students.values())

    def grade(self, todo: dict, feedback: set) -> None:
        """Send the submissions to the engine and record each result as it comes back (its
        notebooks and its scores); the feedback of each recorded student, and of those whose
        feedback is out of date, goes to a pool of processes on this machine. With the
        workers elsewhere (--scheduler) the feedback is written while the grading goes on;
        on this machine it waits until the grading is done: the workers take every core,
        and a submission's time limits are wall-clock time."""
        stats, args = self.stats, self.args
        if not todo and not feedback:
            return
        flag, previous = _interrupts()
        progress = Progress(len(todo))
        start = time.monotonic()
        self.feedback_later = set(feedback)
        try:
            if not args.no_feedback:
                self.book.ready_for_feedback()
                self.pool = Pool(self.course, self.db_url, self.assignment, args.feedback_workers,
                                 generate_feedback)
                stats.feedback_processes = self.pool.processes
                if args.scheduler:
                    self._send_feedback()
            if todo:
                self._grade_all(todo, flag, progress)
                stats.grading_seconds = time.monotonic() - start
            if self.pool is not None and not stats.interrupted:
                self._send_feedback()
                self._collect_feedback(flag)
        except KeyboardInterrupt:
            stats.interrupted = True
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
            if self.engine is not None:
                self.engine.cancel()
            if self.pool is not None:
                self.pool.close()  # what is pending is dropped; what is being written finishes
        if self.pool is not None:
            for written in self.pool.finished():  # those that were being written at an interrupt
                self.feedback_written(written)
            stats.feedback_interval = self.pool.interval
            self.pool = None
        if stats.interrupted:
            print(f"\nInterrupted: {stats.graded} submissions were graded and recorded, {stats.feedback} "
                  "students' feedback written; run the same command again to do the rest.", file=sys.stderr)

    def _send_feedback(self) -> None:
        for student in sorted(self.feedback_later):
            self.pool.submit(student)
        self.feedback_later.clear()

    def _collect_feedback(self, flag: dict) -> None:
        """Wait for the feedback in the pool, recording each as it finishes."""
        progress = Progress(self.pool.pending, what="feedback")
        while self.pool.pending:
            if flag["stop"]:
                self.stats.interrupted = True
                return
            for written in self.pool.finished(wait=0.5):
                self.feedback_written(written)
                progress.step(written.student)

    def _grade_all(self, todo: dict, flag: dict, progress: Progress) -> None:
        stats, engine = self.stats, self.engine
        queue = iter(todo.items())
        # A few tasks ahead of each worker, so that the files of a large class are read as
        # they are needed, not all at once.
        window = 4 * max(1, len(engine.names))
        engine.submit([self.job(student, sub.folder) for student, (sub, _) in _take(queue, window)], self.files)
        for done in engine.results():
            if flag["stop"]:
                stats.interrupted = True
                return
            if self.pool is not None:
                for written in self.pool.finished():
                    self.feedback_written(written)
            if done is None:
                progress.step(busy=engine.busy(), done=0)
                continue
            engine.submit([self.job(student, sub.folder) for student, (sub, _) in _take(queue, 1)], self.files)
            self.record(done, *todo[done.student])
            progress.step(done.student, engine.busy())

    def record(self, done, sub, chash: str) -> None:
        stats, student = self.stats, done.student
        result: Result | None = done.result
        missing = sorted({m for r in result.notebooks.values() for m in bounds.lacking(r.bounds)}) if result else []
        if result is None:
            why = done.error
        elif missing and not self.args.unbounded:
            why = f"graded on {result.worker} without these bounds: {', '.join(missing)} (not recorded)"
        else:
            start = time.monotonic()
            commit(sub, result, chash, self.ghash, self.book, self.autograded, self.assignment)
            stats.recording_seconds += time.monotonic() - start
            stats.graded += 1
            if self.pool is None:
                pass
            elif self.args.scheduler:
                self.pool.submit(student)  # the workers are elsewhere: this machine's cores are free
            else:
                self.feedback_later.add(student)
            return
        stats.errors.append((student, why))
        print(f"\nCould not grade {student}: {why.strip().splitlines()[-1] if why.strip() else '?'}", file=sys.stderr)

    def write_outputs(self) -> None:
        roster = self.roster.students if self.roster else {}
        cells, rows = report.collect(self.book, roster)
        self.out.mkdir(parents=True, exist_ok=True)
        outputs = self.stats.outputs
        outputs["grades"] = report.write_grades(cells, rows, self.out / "grades.csv")
        max_score = sum(p for _, _, p in cells)
        grades = [lms.GradeRow(lms.Student(r.student, r.first_name, r.last_name, r.email, r.lms_user_id), r.total)
                  for r in rows]
        if self.lms == "canvas":
            outputs["canvas"], note = lms.write_canvas(self.out / "grades-canvas.csv", grades, max_score,
                                                       self.canvas_column, self.roster)
        elif self.lms == "moodle":
            outputs["moodle"], note = lms.write_moodle(self.out / "grades-moodle.csv", grades, max_score,
                                                       self.roster)
        else:
            note = ""
        if note:
            print(f"Note: {note}.", flush=True)
        if not self.args.no_report:
            outputs["report"] = report.write_report(report.summarize(self.assignment, cells, rows), self.out,
                                                    self.feedback, unbounded(rows))


def _gist(text: str) -> str:
    """One line of a failure's text: its last line naming an error, else its first line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    named = [line for line in lines if "Error" in line.split(":")[0] or "Exception" in line.split(":")[0]]
    return (named[-1] if named else lines[0] if lines else "?")[:300]


def _take(items, n: int) -> list:
    return [item for _, item in zip(range(n), items)]


def holder() -> str:
    """Who runs this command, for another instructor's refusal message."""
    return f"{getpass.getuser()}@{socket.gethostname()} (process {os.getpid()})"


def run(args) -> Stats:
    warnings.filterwarnings("ignore", message="Object of type .* not in session")
    return Run(args)()


# Command line ------------------------------------------------------------------------------

def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cnnbook-grade", description="Grade a class: grades, feedback "
                                "and a class report from a folder or an LMS zip of submissions.",
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("assignment", help="e.g. assignment1")
    p.add_argument("source", nargs="?", help="a folder <student>/<assignment>/*.ipynb, or a Canvas or "
                   "Moodle zip (default: the course's submitted/ folder)")
    p.add_argument("--course", default=str(ROOT), help="the course folder (default: this repository)")
    p.add_argument("--db", help="gradebook URL (default: sqlite:///COURSE/gradebook.db; PostgreSQL for "
                   "several machines: postgresql://...)")
    p.add_argument("--roster", help="the students: nbgrader's columns (id,first_name,last_name,email,lms_user_id), "
                   "Canvas's gradebook export, or Moodle's grading worksheet or participants download")
    p.add_argument("--strict-roster", action="store_true", help="refuse to grade when a student of the download "
                   "is not on the roster, or a roster student has no LMS id")
    p.add_argument("--allow-unmatched", action="store_true", help="grade even though some entries of the "
                   "download belong to no student (they are listed in intake.csv)")
    p.add_argument("--lms", choices=["auto", "canvas", "moodle"], default="auto",
                   help="the zip's format, and the LMS's grades file to write (default: detected)")
    p.add_argument("--canvas-column", help="the Canvas gradebook column the grades go into, 'Title (id)' as "
                   "Canvas's gradebook export heads it (default: found in a Canvas roster)")
    p.add_argument("--due", help=f"the deadline with its offset from UTC, e.g. '{deadline.EXAMPLE}', or a local "
                   "time with --tz")
    p.add_argument("--tz", help="the time zone of --due without an offset and of a Moodle worksheet's times, "
                   "e.g. Europe/Berlin")
    p.add_argument("--workers", type=int, help="grading processes of the LocalCluster on this machine (default: "
                   "the number of cores)")
    p.add_argument("--scheduler", help="grade on an existing Dask cluster, e.g. tcp://HOST:8786 (its workers "
                   "need the course's package installed; the gradebook and feedback stay with this process)")
    p.add_argument("--feedback-workers", type=int, help="processes writing the feedback on this machine "
                   "(default: the number of cores)")
    p.add_argument("--timeout", type=float, help="seconds per cell (default: Execute.timeout of nbgrader_config.py)")
    p.add_argument("--notebook-timeout", type=float, help="seconds for all of one notebook's cells and checks")
    p.add_argument("--memory", type=int, default=2048, help="MB of memory per notebook (default: 2048)")
    p.add_argument("--force", action="store_true", help="regrade submissions that did not change")
    p.add_argument("--student", action="append", help="grade (again) only this student; repeatable")
    p.add_argument("--report-only", action="store_true", help="grade nothing; write grades.csv and the report")
    p.add_argument("--no-feedback", action="store_true", help="do not write the students' feedback")
    p.add_argument("--no-report", action="store_true", help="do not write the class report")
    bounds = p.add_mutually_exclusive_group()
    bounds.add_argument("--strict", action="store_true", help="refuse to grade when a bound is not available "
                        "(the default; kept for scripts that say it)")
    bounds.add_argument("--unbounded", action="store_true", help="grade even where a bound (memory, files, "
                        "processes) is not available here; the report then says which were missing")
    p.add_argument("--output", help="where grades.csv and the report go (default: COURSE/grading/ASSIGNMENT)")
    return p


def main(argv=None) -> int:
    p = parser()
    args = p.parse_intermixed_args(argv)
    if args.feedback_workers is not None and args.feedback_workers < 1:
        p.error(f"--feedback-workers {args.feedback_workers}: at least 1 process writes the feedback")
    # nbgrader runs its tools from this environment's bin folder.
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    try:
        stats = run(args)
    except (Stop, intake.IntakeError, lms.RosterError, SandboxError, EngineError, gradebook.Locked) as err:
        print(f"cnnbook-grade: {err}", file=sys.stderr)
        return 2
    except DBAPIError as err:
        reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
        print(f"cnnbook-grade: the gradebook stopped answering ({reason}); what was recorded stays: run the "
              "same command again when it is back", file=sys.stderr)
        return 3
    if stats.interrupted:
        return 130
    per = f", {stats.grading_seconds / stats.graded:.2f} s per submission" if stats.graded else ""
    print(f"Graded {stats.graded} ({stats.grading_seconds:.1f} s{per}), {stats.unchanged} unchanged, "
          f"{len(stats.errors)} failed; feedback written for {stats.feedback}.")
    if stats.graded or stats.feedback:
        parts = [f"recording {stats.recording_seconds / stats.graded * 1000:.0f} ms"] if stats.graded else []
        parts += [f"feedback's hash {stats.feedback_owner_seconds / stats.feedback * 1000:.0f} ms"] \
            if stats.feedback else []
        print(f"  this process, per submission: {', '.join(parts)}")
    if stats.feedback:
        print(f"  feedback, per submission: {stats.feedback_process_seconds / stats.feedback * 1000:.0f} ms in "
              f"one of {stats.feedback_processes} processes, {stats.feedback_interval * 1000:.0f} ms of wall time "
              "(from the first written to the last)")
    for name, path in stats.outputs.items():
        print(f"  {name}: {path}")
    return 1 if stats.errors else 0


if __name__ == "__main__":
    sys.exit(main())

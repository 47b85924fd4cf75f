"""The per-submission job: grade one student's notebooks of one assignment.

``grade(job, assignment)`` takes plain data in and gives plain data out: the bytes of the
submission's files (a ``Job``) and of the assignment's source notebooks and handed-out
files (an ``Assignment``, the same for every job of a run, so an engine sends it to each
machine once) go in; a ``Result`` of scores, messages, the autograded notebooks and what
needs the instructor's attention comes out. Both sides pickle, so the job runs in a local
process or on a Dask worker on another machine that has the course's package installed
and not the course folder (the learner's public files come from that package). It never
touches the gradebook, the course folder or the feedback: the process that owns the
gradebook records the result and writes the feedback. ``python -m
instructor.grading.job SUBMISSION SOURCE [RELEASE]`` grades one folder and prints its
result as JSON.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from instructor.grading import notebooks as nbs
from instructor.grading.checking import RemoteLearner, TestResult, run_test
from instructor.grading.files import content_hash
from instructor.grading.magics import Shell
from instructor.grading.sandbox import Limits

IGNORED_FILES = {"timestamp.txt"}
_SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints"}
_setups: dict = {}
_unpacked: dict = {}


def read_files(folder: Path | None, notebooks: bool = True) -> dict[str, bytes]:
    """A folder's files by relative name (without caches; without notebooks if asked)."""
    if folder is None or not Path(folder).is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(Path(folder).rglob("*"))
            if p.is_file() and not _SKIP_PARTS & set(p.relative_to(folder).parts)
            and (notebooks or p.suffix != ".ipynb")}


def write_files(files: dict[str, bytes], folder: Path) -> Path:
    """``files`` (relative name -> bytes) under ``folder``; names that would leave it are refused."""
    base = folder.resolve()
    for name, data in files.items():
        path = (base / name).resolve()
        if not path.is_relative_to(base) or path == base:
            raise ValueError(f"a file name leaves its folder: {name!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


@dataclass(frozen=True)
class Assignment:
    """What every job of one assignment needs besides the submission: the instructor's
    source notebooks (name -> bytes) and the student version's other files (data, helpers)."""

    name: str
    sources: dict[str, bytes]
    release: dict[str, bytes]
    released_notebooks: dict[str, bytes]

    @classmethod
    def read(cls, name: str, source: Path, release: Path | None) -> "Assignment":
        return cls(name, {k: v for k, v in read_files(source).items() if k.endswith(".ipynb") and "/" not in k},
                   read_files(release, notebooks=False),
                   {k: v for k, v in read_files(release).items() if k.endswith(".ipynb") and "/" not in k})

    @property
    def digest(self) -> str:
        return content_hash({**{f"source/{k}": v for k, v in self.sources.items()},
                             **{f"release/{k}": v for k, v in self.release.items()},
                             **{f"notebooks/{k}": v for k, v in self.released_notebooks.items()}})

    def notebooks(self) -> dict[str, nbs.SourceNotebook]:
        """The source notebooks, read once per process (from a folder written for them)."""
        key = self.digest
        if key not in _unpacked:
            _unpacked.clear()
            folder = Path(tempfile.mkdtemp(prefix="cnnbook-assignment-"))
            try:
                _unpacked[key] = nbs.load_assignment(write_files(self.sources, folder))
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        return _unpacked[key]


@dataclass(frozen=True)
class Job:
    """One student's submission: its files (relative name -> bytes) and the limits."""

    student: str
    assignment: str
    files: dict[str, bytes]
    limits: Limits

    @classmethod
    def read(cls, student: str, assignment: str, folder: Path, limits: Limits) -> "Job":
        return cls(student, assignment, read_files(folder), limits)


@dataclass
class Check(TestResult):
    """The outcome of one test cell, with the exercise and notebook it belongs to."""

    exercise: str = ""
    notebook: str = ""


@dataclass
class NotebookResult:
    """One notebook of a submission: its status (graded, unreadable, missing, ungraded),
    its checks, the autograded notebook (nbformat JSON as a dict) and what was noticed."""

    status: str
    message: str = ""
    tests: list[Check] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    autograded: dict | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    unchanged_answers: list[str] = field(default_factory=list)
    bounds: dict = field(default_factory=dict)
    answers: int = 0
    graded_by_hand: list[str] = field(default_factory=list)
    starts: int = 0
    seconds: float = 0.0


@dataclass
class Result:
    """A graded submission: plain data, picklable, the same from any worker."""

    student: str
    assignment: str
    notebooks: dict[str, NotebookResult] = field(default_factory=dict)
    signals: list[str] = field(default_factory=list)
    attention: list[str] = field(default_factory=list)
    seconds: float = 0.0
    worker: str = ""

    @property
    def tests(self) -> list[Check]:
        return [t for record in self.notebooks.values() for t in record.tests]

    def summary(self) -> dict:
        """What the gradebook keeps of it for the report: everything but the notebooks and
        the checks' printed output."""
        out = asdict(self)
        out["tests"] = [{k: v for k, v in asdict(t).items() if k != "output"} for t in self.tests]
        for record in out["notebooks"].values():
            record.pop("autograded")
            record.pop("tests")
        return out


def setup_namespace(notebook: nbs.SourceNotebook) -> dict:
    """The names the source's setup cells bind, run here in the grader (trusted code)."""
    if notebook.preamble not in _setups:
        ns: dict = {"__name__": "__main__", "display": lambda *args, **kwargs: None}
        ns["get_ipython"] = lambda shell=Shell(ns): shell  # a setup cell's %matplotlib inline
        with contextlib.redirect_stdout(io.StringIO()):  # what it prints is for the notebook
            exec(compile(notebook.preamble, f"<setup of {notebook.name}>", "exec"), ns)
        _setups[notebook.preamble] = ns
    return _setups[notebook.preamble]


def _release_answers(release: Path, name: str) -> dict[str, str]:
    path = release / f"{name}.ipynb"
    if not path.exists():
        return {}
    return {nbs.nbgrader_meta(c).get("grade_id"): c["source"] for c in nbs.read_cells(path)
            if nbs.nbgrader_meta(c).get("solution")}


def _check(result: TestResult, test: nbs.TestCell, notebook: str) -> Check:
    return Check(**asdict(result), exercise=test.exercise, notebook=notebook)


def grade_notebook(assignment: Assignment, notebook: nbs.SourceNotebook, path: Path, limits: Limits,
                   scratch: Path) -> NotebookResult:
    record = NotebookResult("graded", answers=sum(c.kind == "answer" for c in notebook.cells),
                            graded_by_hand=[c.grade_id for c in notebook.cells if c.kind == "task"
                                            or (c.kind == "answer" and nbs.nbgrader_meta(c.cell).get("grade"))])
    try:
        cells = nbs.read_cells(path)
    except nbs.UnreadableNotebook as err:
        record.status, record.message = "unreadable", str(err)
        record.tests = [_missing(t, str(err), notebook.name) for t in notebook.tests]
        return record
    merged = nbs.merge(notebook, cells)
    record.signals = merged.signals
    release = _release_answers(scratch / "release", notebook.name)
    for cell in merged.cells:
        gid = nbs.nbgrader_meta(cell).get("grade_id")
        if gid in release and cell["source"].strip() == release[gid].strip():
            record.unchanged_answers.append(gid)
    workdir = Path(tempfile.mkdtemp(prefix=f"{notebook.name}-", dir=scratch))
    write_files(assignment.release, workdir)
    learner = RemoteLearner(merged.program, workdir, limits, time.monotonic() + limits.submission_timeout)
    outputs: dict[int, list[dict]] = {}
    try:
        setup = setup_namespace(notebook)
        for test in notebook.tests:
            result = run_test(test, setup, learner, limits.cell_timeout)
            record.tests.append(_check(result, test, notebook.name))
            if test.grade_id in merged.tests:
                outputs[merged.tests[test.grade_id]] = result.feedback_outputs
    finally:
        learner.close()
        shutil.rmtree(workdir, ignore_errors=True)
    for k, run in learner.runs.items():
        outputs[k] = nbs.outputs_of(run)
    record.skipped = {str(k): f"the code cell {k} ({_first_line(merged.cells[k]['source'])}) {why}"
                      for k, why in learner.skipped.items()}
    record.bounds = learner.applied
    record.starts = learner.starts
    record.autograded = nbs.build_notebook(notebook, merged, outputs)
    return record


def _first_line(source: str) -> str:
    line = next((text.strip() for text in source.splitlines() if text.strip()), "")
    return f"`{line[:40]}`" + ("..." if len(line) > 40 else "")


def _missing(test: nbs.TestCell, why: str, notebook: str) -> Check:
    return Check(test.grade_id, test.points, 0.0, "missing", why, exercise=test.exercise, notebook=notebook)


def grade(job: Job, assignment: Assignment) -> Result:
    """Grade one submission (see the module's docstring)."""
    start = time.monotonic()
    source = assignment.notebooks()
    result = Result(job.student, job.assignment)
    scratch = Path(tempfile.mkdtemp(prefix=f"cnnbook-grade-{job.student}-"))
    try:
        folder = write_files(job.files, scratch / "submission")
        write_files(assignment.released_notebooks, scratch / "release")
        for name, notebook in source.items():
            path = folder / f"{name}.ipynb"
            nb_start = time.monotonic()
            graded = bool(notebook.tests or notebook.max_score)
            if not path.is_file() or not graded:
                # A notebook with nothing graded in it (the explorers) need not be handed in,
                # and is not run: it can change no score.
                why = f"no notebook {name}.ipynb was handed in" if graded else f"{name}.ipynb has nothing graded"
                record = NotebookResult("missing" if graded else "ungraded", why,
                                        [_missing(t, why, name) for t in notebook.tests])
            else:
                record = grade_notebook(assignment, notebook, path, job.limits, scratch)
            record.seconds = time.monotonic() - nb_start
            result.notebooks[name] = record
            result.signals += [f"{name}: {s}" for s in record.signals]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    expected = {f"{name}.ipynb" for name in source}
    for rel in sorted(job.files):
        if rel not in expected and rel not in IGNORED_FILES:
            result.signals.append(f"handed in {rel} beside the notebooks (not used by the grader)")
    result.attention = attention(result)
    result.seconds = time.monotonic() - start
    return result


def attention(result: Result) -> list[str]:
    """Why an instructor should look at this submission by hand."""
    reasons = []
    for name, record in result.notebooks.items():
        if record.status not in ("graded", "ungraded"):
            reasons.append(record.message or f"{name}: {record.status}")
        for why in record.skipped.values():
            reasons.append(f"{name}: {why}")
    records = result.notebooks.values()
    answers = sum(r.answers for r in records)
    if answers and all(r.status in ("graded", "ungraded") for r in records) \
            and sum(len(r.unchanged_answers) for r in records) == answers:
        reasons.append("untouched: every answer cell is as it was handed out")
    for t in result.tests:
        messages = f"{t.public_message or ''} {t.hidden_message or ''}"
        if t.status == "timeout":
            reasons.append(f"{t.exercise}: timeout during its check (did not finish within the time limit)")
        elif t.status == "died":
            reasons.append(f"{t.exercise}: died during its check (the learner's process ended)")
        elif "MemoryError" in messages:
            reasons.append(f"{t.exercise}: hit the memory limit (MemoryError)")
        elif t.status == "failed" and not t.public_message and t.hidden_message:
            reasons.append(f"{t.exercise} passes the public tests but not the hidden tests")
    reasons += result.signals
    return list(dict.fromkeys(reasons))


def main(argv=None) -> int:
    """Grade one folder: ``SUBMISSION SOURCE [RELEASE]``; print the result as JSON."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) not in (2, 3):
        print("usage: python -m instructor.grading.job SUBMISSION SOURCE [RELEASE]", file=sys.stderr)
        return 2
    folders = [Path(a) for a in argv]
    assignment = Assignment.read(folders[1].name, folders[1], folders[2] if len(folders) > 2 else None)
    job = Job.read(folders[0].parent.name, assignment.name, folders[0], Limits())
    json.dump(asdict(grade(job, assignment)), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The per-submission job: grade one student's notebooks of one assignment.

``grade(job)`` takes plain data (paths, limits) and returns plain data (scores, messages,
the autograded notebooks, what needs the instructor's attention), so the same job runs in
a local worker process or on another machine (``python -m instructor.grading.job
JOB.json`` prints its result as JSON). It never touches the gradebook: the process that
owns the gradebook records the result.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from instructor.grading import notebooks as nbs
from instructor.grading.checking import RemoteLearner, run_test
from instructor.grading.magics import Shell
from instructor.grading.sandbox import Limits

IGNORED_FILES = {"timestamp.txt"}
_sources: dict = {}
_setups: dict = {}


@dataclass
class Job:
    student: str
    assignment: str
    submission: str       # the folder holding the student's notebooks
    source: str           # the instructor's source folder of the assignment
    release: str | None   # the student version: its other files are copied into the working folder
    limits: dict
    scratch: str | None = None
    public: str | None = None  # the workbook's public files (sandbox.prepare_public); made if None


def load_assignment(source_dir: str) -> dict[str, nbs.SourceNotebook]:
    paths = sorted(Path(source_dir).glob("*.ipynb"))
    key = (source_dir, tuple((p.name, p.stat().st_mtime_ns) for p in paths))
    if key not in _sources:
        _sources.clear()
        _sources[key] = nbs.load_assignment(Path(source_dir))
    return _sources[key]


def setup_namespace(notebook: nbs.SourceNotebook) -> dict:
    """The names the source's setup cells bind, run here in the grader (trusted code)."""
    if notebook.preamble not in _setups:
        ns: dict = {"__name__": "__main__", "display": lambda *args, **kwargs: None}
        ns["get_ipython"] = lambda shell=Shell(ns): shell  # a setup cell's %matplotlib inline
        with contextlib.redirect_stdout(io.StringIO()):  # what it prints is for the notebook
            exec(compile(notebook.preamble, f"<setup of {notebook.name}>", "exec"), ns)
        _setups[notebook.preamble] = ns
    return _setups[notebook.preamble]


def _release_answers(release: str | None, name: str) -> dict[str, str]:
    path = Path(release) / f"{name}.ipynb" if release else None
    if not path or not path.exists():
        return {}
    return {nbs.nbgrader_meta(c).get("grade_id"): c["source"] for c in nbs.read_cells(path)
            if nbs.nbgrader_meta(c).get("solution")}


def _copy_release_files(release: str | None, workdir: Path) -> None:
    if not release or not Path(release).is_dir():
        return
    for path in Path(release).rglob("*"):
        rel = path.relative_to(release)
        if path.is_file() and path.suffix != ".ipynb" and not {"__pycache__", ".ipynb_checkpoints"} & set(rel.parts):
            (workdir / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, workdir / rel)


def grade_notebook(job: Job, notebook: nbs.SourceNotebook, path: Path, limits: Limits, scratch: Path) -> dict:
    record = {"status": "graded", "tests": [], "signals": [], "autograded": None, "skipped": {},
              "unchanged_answers": [], "bounds": {},
              "answers": sum(c.kind == "answer" for c in notebook.cells),
              "graded_by_hand": [c.grade_id for c in notebook.cells if c.kind == "task"
                                 or (c.kind == "answer" and nbs.nbgrader_meta(c.cell).get("grade"))]}
    try:
        cells = nbs.read_cells(path)
    except nbs.UnreadableNotebook as err:
        record.update(status="unreadable", message=str(err))
        record["tests"] = [_missing(t, str(err)) for t in notebook.tests]
        return record
    merged = nbs.merge(notebook, cells)
    record["signals"] = merged.signals
    release = _release_answers(job.release, notebook.name)
    for cell in merged.cells:
        gid = nbs.nbgrader_meta(cell).get("grade_id")
        if gid in release and cell["source"].strip() == release[gid].strip():
            record["unchanged_answers"].append(gid)
    workdir = Path(tempfile.mkdtemp(prefix=f"{notebook.name}-", dir=scratch))
    _copy_release_files(job.release, workdir)
    learner = RemoteLearner(merged.program, workdir, limits, time.monotonic() + limits.submission_timeout,
                      Path(job.public) if job.public else None)
    outputs: dict[int, list[dict]] = {}
    try:
        setup = setup_namespace(notebook)
        for test in notebook.tests:
            result = run_test(test, setup, learner, limits.cell_timeout)
            record["tests"].append({**asdict(result), "exercise": test.exercise, "notebook": notebook.name})
            if test.grade_id in merged.tests:
                outputs[merged.tests[test.grade_id]] = result.feedback_outputs
    finally:
        learner.close()
        shutil.rmtree(workdir, ignore_errors=True)
    for k, run in learner.runs.items():
        outputs[k] = nbs.outputs_of(run)
    record["skipped"] = {str(k): f"the code cell {k} ({_first_line(merged.cells[k]['source'])}) {why}"
                         for k, why in learner.skipped.items()}
    record["bounds"] = learner.applied
    record["starts"] = learner.starts
    record["autograded"] = nbs.build_notebook(notebook, merged, outputs)
    return record


def _first_line(source: str) -> str:
    line = next((text.strip() for text in source.splitlines() if text.strip()), "")
    return f"`{line[:40]}`" + ("..." if len(line) > 40 else "")


def _missing(test: nbs.TestCell, why: str) -> dict:
    return {"grade_id": test.grade_id, "points": test.points, "score": 0.0, "status": "missing",
            "public_message": why, "hidden_message": None, "output": "", "seconds": 0.0,
            "exercise": test.exercise}


def grade(job: Job | dict) -> dict:
    job = job if isinstance(job, Job) else Job(**job)
    start = time.monotonic()
    limits = Limits(**job.limits)
    source = load_assignment(job.source)
    folder = Path(job.submission)
    result = {"student": job.student, "assignment": job.assignment, "notebooks": {}, "tests": [],
              "signals": [], "attention": []}
    scratch = Path(tempfile.mkdtemp(prefix=f"cnnbook-grade-{job.student}-", dir=job.scratch))
    try:
        for name, notebook in source.items():
            path = folder / f"{name}.ipynb"
            nb_start = time.monotonic()
            graded = bool(notebook.tests or notebook.max_score)
            if not path.is_file() or not graded:
                # A notebook with nothing graded in it (the explorers) need not be handed in,
                # and is not run: it can change no score.
                why = f"no notebook {name}.ipynb was handed in" if graded else f"{name}.ipynb has nothing graded"
                status = "missing" if graded else "ungraded"
                record = {"status": status, "message": why, "autograded": None, "skipped": {},
                          "tests": [{**_missing(t, why), "notebook": name} for t in notebook.tests],
                          "signals": [], "unchanged_answers": [], "bounds": {}}
            else:
                record = grade_notebook(job, notebook, path, limits, scratch)
                for t in record["tests"]:
                    t["notebook"] = name
            record["seconds"] = time.monotonic() - nb_start
            result["notebooks"][name] = record
            result["tests"] += record["tests"]
            result["signals"] += [f"{name}: {s}" for s in record["signals"]]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    expected = {f"{name}.ipynb" for name in source}
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel not in expected and rel not in IGNORED_FILES:
            result["signals"].append(f"handed in {rel} beside the notebooks (not used by the grader)")
    result["attention"] = attention(result)
    result["seconds"] = time.monotonic() - start
    return result


def attention(result: dict) -> list[str]:
    """Why an instructor should look at this submission by hand."""
    reasons = []
    for name, record in result["notebooks"].items():
        if record["status"] not in ("graded", "ungraded"):
            reasons.append(record.get("message", f"{name}: {record['status']}"))
        for why in record.get("skipped", {}).values():
            reasons.append(f"{name}: {why}")
    records = result["notebooks"].values()
    answers = sum(r.get("answers", 0) for r in records)
    if answers and all(r["status"] in ("graded", "ungraded") for r in records) \
            and sum(len(r["unchanged_answers"]) for r in records) == answers:
        reasons.append("untouched: every answer cell is as it was handed out")
    for t in result["tests"]:
        messages = f"{t.get('public_message') or ''} {t.get('hidden_message') or ''}"
        if t["status"] == "timeout":
            reasons.append(f"{t['exercise']}: timeout during its check (did not finish within the time limit)")
        elif t["status"] == "died":
            reasons.append(f"{t['exercise']}: died during its check (the learner's process ended)")
        elif "MemoryError" in messages:
            reasons.append(f"{t['exercise']}: hit the memory limit (MemoryError)")
        elif t["status"] == "failed" and not t["public_message"] and t["hidden_message"]:
            reasons.append(f"{t['exercise']} passes the public tests but not the hidden tests")
    reasons += result["signals"]
    return list(dict.fromkeys(reasons))


def main(argv=None) -> int:
    """Run one job described by a JSON file and print its result as JSON (for running jobs
    on other machines)."""
    argv = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    json.dump(grade(job), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

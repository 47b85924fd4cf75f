"""Grading 40 submissions: plain `nbgrader autograde` (one call, one submission after
another) against the grading phase of `cnnbook-grade` (the same work, execution and
scoring, in parallel, with its bounds and tamper defences on); then the same command run
again with nothing new; then a Canvas download of 300 students, timed from the start of
the command to the first submission graded.

    python benchmarks/grading.py [--students 40] [--workers N] [--download 300]

Targets on 2 cores: cnnbook-grade at least 1.7 times faster than plain nbgrader; a re-run
with nothing new within 5 s; the first of 300 submissions graded within 15 s of the start.
Both graders get the same submissions, drawn from the generated class of the tests
(correct work, stubs, the learner-bug catalogue, and the tampering that needs no bound to
stay harmless under plain nbgrader); where their scores differ, the submission is named.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import classroom  # noqa: E402
from instructor.execute import isolated_home  # noqa: E402

TARGET = 1.7
NO_OP_TARGET = 5.0       # seconds for a re-run with nothing new
FIRST_TARGET = 15.0      # seconds from the start to the first of 300 submissions graded
# Learners plain nbgrader can run safely: no endless loop (its limit is 120 s a cell), no
# memory hog (it has no limit), no escape attempt (it would succeed), and no deleted or
# relabelled test cell (it stops grading that submission with an error).
SAFE = ("correct", "correct-variants", "stub", "stub-with-cheats", "patches-numpy", "patches-tests",
        "edits-test-cell", "recognises-public", "noisy-but-right", "returns-liar", "fake-pass-line",
        "magics", "syntax-error", "part1-only")


def make_class(course: Path, n: int) -> list[str]:
    learners = [learner for learner in classroom.generated_class(course, files_protected=False)
                if learner.student in SAFE or learner.student.startswith("bugs-")]
    students = []
    for k in range(n):
        learner = learners[k % len(learners)]
        name = learner.student if k < len(learners) else f"{learner.student}-{k // len(learners) + 1}"
        classroom.submit(course, name, learner.answers, learner.extra_files, edit=learner.edit,
                         notebooks=learner.notebooks)
        students.append(name)
    return students


def two_courses(tmp: Path, n: int) -> tuple[Path, Path, list[str]]:
    """The same n submissions in a course for plain nbgrader and in one for cnnbook-grade."""
    plain = classroom.make_course(tmp / "plain")
    students = make_class(plain, n)
    shutil.copy(ROOT / "nbgrader_config.py", plain / "nbgrader_config.py")
    ours = classroom.make_course(tmp / "ours")
    shutil.copytree(plain / "submitted", ours / "submitted")
    return plain, ours, students


def plain_autograde(plain: Path) -> float | None:
    """Seconds of one `nbgrader autograde` of the whole class (None, said, if it failed)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", classroom.ASSIGNMENT],
                          cwd=plain, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:])
        return None
    return time.perf_counter() - start


def nbgrader_scores(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "cnn-step-by-step") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(classroom.ASSIGNMENT)}


def main() -> int:
    warnings.filterwarnings("ignore", message="Object of type .* not in session")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--download", type=int, default=300, help="students in the Canvas download")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, isolated_home(Path(tmp) / "home"):
        tmp = Path(tmp)
        plain, ours, students = two_courses(tmp, args.students)
        print(f"{len(students)} submissions of {classroom.ASSIGNMENT}, {len(os.sched_getaffinity(0))} cores")

        t_plain = plain_autograde(plain)
        if t_plain is None:
            return 1

        start = time.perf_counter()
        command = [sys.executable, "-m", "instructor.grading", classroom.ASSIGNMENT, "--course",
                   str(ours), "--workers", str(args.workers), "--no-feedback", "--no-report"]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        t_command = time.perf_counter() - start
        if done.returncode != 0:
            print(done.stdout[-3000:], done.stderr[-3000:])
            return 1
        line = next(text for text in done.stdout.splitlines() if text.startswith("Graded "))
        t_ours = float(line.split("(")[1].split(" s")[0])

        ratio = t_plain / t_ours
        n = len(students)
        label = f"cnnbook-grade, grading phase ({args.workers} workers)"
        print(f"{'nbgrader autograde (sequential)':44s} {t_plain:7.1f} s  {t_plain / n:5.2f} s per submission")
        print(f"{label:44s} {t_ours:7.1f} s  {t_ours / n:5.2f} s per submission")
        print(f"  (the whole command, with its checks of bounds and solutions: {t_command:.1f} s)")
        print(f"ratio {ratio:.2f} (target >= {TARGET})  {'ok' if ratio >= TARGET else 'TOO SLOW'}")

        start = time.perf_counter()
        again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        t_again = time.perf_counter() - start
        if again.returncode != 0 or "Graded 0 " not in again.stdout:
            print(again.stdout[-3000:], again.stderr[-3000:])
            return 1
        ok_again = t_again <= NO_OP_TARGET
        print(f"re-run with nothing new: {t_again:.1f} s (target <= {NO_OP_TARGET:g} s)  "
              f"{'ok' if ok_again else 'TOO SLOW'}")

        t_first = first_graded(tmp / "download", args.download, args.workers)
        ok_first = t_first <= FIRST_TARGET
        print(f"{args.download}-student Canvas download, start to the first submission graded: {t_first:.1f} s "
              f"(target <= {FIRST_TARGET:g} s)  {'ok' if ok_first else 'TOO SLOW'}")

        theirs = nbgrader_scores(plain)
        with open(ours / "grading" / classroom.ASSIGNMENT / "grades.csv", newline="") as f:
            mine = {row["student_id"]: float(row["total"]) for row in csv.DictReader(f)}
        differ = sorted(s for s in students if abs(theirs.get(s, 0.0) - mine[s]) > 1e-9)
        print(f"scores agree on {n - len(differ)} of {n} submissions" +
              (": plain nbgrader gives " + ", ".join(f"{s} {theirs.get(s, 0):g} (here {mine[s]:g})"
                                                     for s in differ) if differ else ""))
        return 0 if ratio >= TARGET and ok_again and ok_first else 1


def first_graded(root: Path, n: int, workers: int) -> float:
    """Seconds from starting cnnbook-grade on an n-student Canvas download to its first
    submission graded (the progress line 1/n); the run is then stopped with Ctrl-C."""
    import signal

    import lms_fixtures as fx
    course = classroom.make_course(root / "course")
    staged = root / "staged"
    shutil.copytree(course / "notebooks", staged / "notebooks")
    learners = [x for x in classroom.generated_class(course, files_protected=False) if x.student in SAFE]
    students = []
    for k in range(n):
        learner = learners[k % len(learners)]
        folder = classroom.submit(staged, f"s{k}", learner.answers, edit=learner.edit, notebooks=learner.notebooks)
        uploads = [fx.CanvasUpload(p.name, p.read_bytes(), 10000 + 2 * k + j)
                   for j, p in enumerate(sorted(folder.glob("*.ipynb")))]
        students.append(fx.CanvasStudent(f"Student{k:03d}, Pat", 1000 + k, "", uploads))
    download = fx.canvas_zip(root / "submissions.zip", students)
    roster = fx.canvas_export(root / "export.csv", students, {"Assignment 1": (4242, 85)})
    start = time.perf_counter()
    run = subprocess.Popen([sys.executable, "-m", "instructor.grading", classroom.ASSIGNMENT, str(download),
                            "--course", str(course), "--roster", str(roster), "--workers", str(workers),
                            "--no-feedback", "--no-report"], cwd=ROOT, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    elapsed = float("nan")
    for line in run.stderr:
        if line.startswith("grading [") and f" 1/{n} " in line:
            elapsed = time.perf_counter() - start
            break
    run.send_signal(signal.SIGINT)
    run.communicate(timeout=300)
    return elapsed


if __name__ == "__main__":
    sys.exit(main())

"""cnnbook-grade end to end: a generated class of correct, stub, buggy and adversarial
submissions graded in parallel, every score asserted; the report against the grades; the
parallel run against a sequential one; an interrupted run finished by a second one."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

import classroom
from conftest import ROOT
from instructor.grading import cli, report

pytestmark = pytest.mark.slow

ASSIGNMENT = "assignment1"
TIMEOUT = "20"    # seconds per cell: room for a correct check on a loaded machine; each endless loop of the class costs this much
MEMORY = "1024"   # MB per notebook


def grade(course: Path, *extra: str) -> int:
    return cli.main([ASSIGNMENT, "--course", str(course), "--timeout", TIMEOUT, "--memory", MEMORY,
                     *extra])


def read_grades(path: Path) -> dict[str, dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class, graded once with two workers; what the tests below look at."""
    course = classroom.make_course(tmp_path_factory.mktemp("course"))
    learners = classroom.generated_class(course)
    classroom.hand_in(course, learners)
    stamp = course / "submitted" / "{}" / ASSIGNMENT / "timestamp.txt"
    Path(str(stamp).format("correct")).write_text("2026-11-20 10:00:00.000000 UTC")
    Path(str(stamp).format("bugs-1")).write_text("2026-11-21 02:00:00.000000 UTC")
    roster = course / "roster.csv"
    with open(roster, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "first_name", "last_name", "email", "lms_user_id"])
        w.writerow(["correct", "Ada", "Lovelace", "ada@example.org", "101"])
        w.writerow(["absent", "Bo", "Absent", "bo@example.org", "102"])
    victim = course / "submitted" / "correct" / ASSIGNMENT / "part1_forward.ipynb"
    before = {"victim": digest(victim)}
    start = time.monotonic()
    status = grade(course, "--workers", "2", "--roster", str(roster), "--due", "2026-11-21 00:00:00Z")
    return {"course": course, "learners": {x.student: x for x in learners}, "status": status,
            "seconds": time.monotonic() - start, "before": before,
            "grades": read_grades(course / "grading" / ASSIGNMENT / "grades.csv")}


def test_the_class_is_large_and_mixed(graded):
    learners = graded["learners"]
    assert len(learners) >= 30
    from mistakes import CATALOGUE
    covered = {bug for x in learners.values() for bug in x.about.split(", ")}
    assert {c.id for c in CATALOGUE[ASSIGNMENT] if c.hint is not None} <= covered, "every known learner bug is in the class"


def test_every_score_is_exactly_the_expected_one(graded):
    assert graded["status"] == 0
    grades = graded["grades"]
    points = classroom.points()
    for student, learner in graded["learners"].items():
        row = grades[student]
        got = {ex: float(row[ex]) for ex in points}
        assert got == learner.expected, f"{student} ({learner.about})"
        assert float(row["total"]) == sum(learner.expected.values())
        assert float(row["max_score"]) == sum(points.values()) == 85


def test_scores_are_in_nbgraders_gradebook(graded):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{graded['course'] / 'gradebook.db'}", "cnn-step-by-step") as gb:
        for student, learner in graded["learners"].items():
            sub = gb.find_submission(ASSIGNMENT, student)
            got = {g.name.removesuffix("_test"): g.auto_score for nb in sub.notebooks for g in nb.grades}
            assert got == learner.expected, student
            assert not any(g.needs_manual_grade for nb in sub.notebooks for g in nb.grades)
        assert len(gb.assignment_submissions(ASSIGNMENT)) == len(graded["learners"])


def test_late_and_absent_students_are_flagged(graded):
    grades = graded["grades"]
    assert grades["bugs-1"]["late"] == "1" and float(grades["bugs-1"]["seconds_late"]) == 7200
    assert "late by 2 h 0 min" in grades["bugs-1"]["attention"]
    assert grades["correct"]["late"] == "0" and grades["correct"]["first_name"] == "Ada"
    assert grades["absent"]["submitted"] == "0" and float(grades["absent"]["total"]) == 0
    assert grades["absent"]["attention"] == "no submission"


def test_what_needs_attention_is_said(graded):
    grades = graded["grades"]
    for student, learner in graded["learners"].items():
        for words in learner.attention:
            assert words in grades[student]["attention"], (student, grades[student]["attention"])
    assert grades["correct"]["needs_attention"] == "0"


def test_a_submission_reads_no_secret_and_writes_nothing_outside(graded):
    course = graded["course"]
    assert not (course / "pwned.txt").exists() and not (course / "pwned-by-shell.txt").exists()
    assert digest(course / "submitted" / "correct" / ASSIGNMENT / "part1_forward.ipynb") == graded["before"]["victim"]
    nb = json.loads((course / "autograded" / "escapes" / ASSIGNMENT / "part1_forward.ipynb").read_text())
    printed = "".join(o.get("text", "") for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"])
    assert "leaked 0" in printed
    with sqlite3.connect(course / "gradebook.db") as db:  # still a working database
        assert db.execute("select count(*) from submitted_assignment").fetchone()[0] == len(graded["learners"])


def test_feedback_leaves_the_hidden_tests_out(graded):
    feedback = graded["course"] / "feedback"
    for student in graded["learners"]:
        pages = sorted((feedback / student / ASSIGNMENT).glob("*.html"))
        expected = 1 if student in ("part1-only", "broken-part2") else 2
        assert len(pages) == expected, student
        for page in pages:
            text = page.read_text(encoding="utf-8")
            assert "HIDDEN" not in text and "suite=" not in text and not re.search(r"hidden \d+ \(", text)
    page = (feedback / "recognises-public" / ASSIGNMENT / "part1_forward.html").read_text(encoding="utf-8")
    assert "passes the public tests but fails the hidden tests" in page
    assert len(re.findall(r"<img [^>]*src=.data:image/svg\+xml;base64,", page)) == 5  # figures inside


def test_the_autograded_notebooks_are_those_nbgrader_keeps(graded):
    course = graded["course"]
    nb = json.loads((course / "autograded" / "edits-test-cell" / ASSIGNMENT / "part1_forward.ipynb").read_text())
    test = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "zero_pad_test")
    assert "zero_pad_test(zero_pad)" in test["source"]  # the instructor's cell is back
    assert (course / "autograded" / "bugs-1" / ASSIGNMENT / "timestamp.txt").exists()


def test_the_report_matches_the_grades(graded):
    out = graded["course"] / "grading" / ASSIGNMENT
    grades = [row for row in graded["grades"].values() if row["submitted"] == "1"]
    summary = report.Summary(**json.loads((out / "summary.json").read_text()))
    assert summary.submitted == len(grades) == len(graded["learners"])
    for gid, _, points in summary.exercises:
        ex = gid.removesuffix("_test")
        counts = Counter(f"{float(row[ex]):g}" for row in grades)
        assert summary.distribution[gid] == dict(counts), ex
        assert summary.full_marks[gid] == sum(float(row[ex]) == points for row in grades)
        # Each exercise has one stub bug in the catalogue, besides the two stub learners.
        assert dict((k, n) for k, n, _ in summary.failures[gid])["not implemented yet (the stub)"] == 3
    stride = "the window ignores the stride: vert_start = h * stride, horiz_start = w * stride"
    for gid in ("conv_forward_test", "pool_forward_test", "conv_backward_test", "pool_backward_test"):
        assert dict((k, n) for k, n, _ in summary.failures[gid])[stride] == 1, gid
    assert summary.hidden_only["conv_forward_test"] == 1  # the learner who recognises the public inputs
    assert sorted(summary.totals) == sorted(float(row["total"]) for row in grades)

    # The figure holds the same counts as the grades, and the PNG is that figure.
    fig = report.draw_scores(summary)
    for ax, (gid, _, _) in zip(fig.axes, summary.exercises):
        heights = {f"{p.get_x() + p.get_width() / 2:g}": p.get_height() for p in ax.patches}
        ex = gid.removesuffix("_test")
        assert heights == dict(Counter(f"{float(row[ex]):g}" for row in grades)), ex
    import matplotlib.image as mpimg
    fresh = out / "fresh.png"
    report._save(report.draw_scores(summary), fresh)
    assert (mpimg.imread(fresh) == mpimg.imread(out / "scores.png")).all()
    fig = report.draw_failures(summary)
    for ax, (gid, _, _) in zip(fig.axes, summary.exercises):
        bars = [p.get_width() for p in ax.patches]
        want = [n for _, n, _ in summary.failures[gid]]
        want += [summary.hidden_only[gid]] if summary.hidden_only[gid] else []
        assert bars == want, gid

    # The page shows the same counts and lists every submission that needs attention.
    page = (out / "report.html").read_text(encoding="utf-8")
    shown = {(m[1], m[2]): int(m[3]) for m in re.finditer(
        r"data-exercise='(\w+)' data-score='([\d.]+)'>[\d.]+: (\d+)</span>", page)}
    for gid, dist in summary.distribution.items():
        for score, n in dist.items():
            assert shown.pop((gid, score)) == n
    assert not shown
    listed = set(re.findall(r"<td data-student='([^']+)'>", page))
    assert listed == {s for s, row in graded["grades"].items() if row["needs_attention"] == "1"}


def test_parallel_and_sequential_runs_agree(graded, tmp_path):
    """A subset with every kind of outcome, graded again by one worker in another course."""
    students = ["correct", "stub-with-cheats", "bugs-3", "patches-numpy", "relabels-cells", "kills-kernel",
                "recognises-public", "returns-liar", "part1-only", "broken-part2", "magics"]
    course = classroom.make_course(tmp_path / "course")
    for student in students:
        shutil.copytree(graded["course"] / "submitted" / student, course / "submitted" / student)
    args = [a for s in students for a in ("--student", s)]
    assert grade(course, "--workers", "1", "--no-feedback", "--roster", str(graded["course"] / "roster.csv"),
                 "--due", "2026-11-21T00:00:00+00:00", *args) == 0
    sequential = read_grades(course / "grading" / ASSIGNMENT / "grades.csv")
    for student in students:
        assert sequential[student] == graded["grades"][student], student
    assert set(sequential) == set(students) | {"absent"}


def _count_graded(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=10) as conn:
            return conn.execute("select count(*) from cnnbook_grading").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_an_interrupted_run_is_finished_by_the_next(tmp_path):
    course = classroom.make_course(tmp_path / "course")
    learners = [x for x in classroom.generated_class(course)
                if x.student.startswith("bugs-") or x.student in ("correct", "stub")]
    classroom.hand_in(course, learners)
    command = [sys.executable, "-m", "instructor.grading", ASSIGNMENT, "--course", str(course),
               "--timeout", TIMEOUT, "--memory", MEMORY, "--workers", "2"]
    run = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 240
    while _count_graded(course / "gradebook.db") < 3 and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.2)
    run.send_signal(signal.SIGINT)
    output = run.communicate(timeout=120)[0]
    assert run.returncode == 130, output
    first = _count_graded(course / "gradebook.db")
    assert 3 <= first < len(learners), output

    # In formgrader, a grader gives "bugs-2" a manual score and a comment (or whoever was graded).
    from nbgrader.api import Gradebook
    with sqlite3.connect(course / "gradebook.db") as db:
        graded_first = [s for (s,) in db.execute("select student from cnnbook_grading order by student")]
    chosen = graded_first[0]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "cnn-step-by-step") as gb:
        assert len(gb.assignment_submissions(ASSIGNMENT)) == first  # each recorded in full, once
        for sub in gb.assignment_submissions(ASSIGNMENT):
            assert all(g.auto_score is not None for nb in sub.notebooks for g in nb.grades)
        grade_ = gb.find_grade("conv_forward_test", "part1_forward", ASSIGNMENT, chosen)
        grade_.manual_score = 7.5
        comment = gb.find_comment("conv_forward", "part1_forward", ASSIGNMENT, chosen)
        comment.manual_comment = "Look at the stride once more."
        gb.db.commit()

    rerun = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"Graded {len(learners) - first} " in rerun.stdout
    assert f"{first} unchanged" in rerun.stdout
    grades = read_grades(course / "grading" / ASSIGNMENT / "grades.csv")
    for learner in learners:
        want = dict(learner.expected)
        if learner.student == chosen:
            want["conv_forward"] = 7.5
        assert {ex: float(grades[learner.student][ex]) for ex in want} == want, learner.student
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "cnn-step-by-step") as gb:
        assert len(gb.assignment_submissions(ASSIGNMENT)) == len(learners)
        assert gb.find_grade("conv_forward_test", "part1_forward", ASSIGNMENT, chosen).manual_score == 7.5
        assert gb.find_comment("conv_forward", "part1_forward", ASSIGNMENT, chosen).comment \
            == "Look at the stride once more."
    page = (course / "feedback" / chosen / ASSIGNMENT / "part1_forward.html").read_text(encoding="utf-8")
    assert "Look at the stride once more." in page  # the feedback was written again

    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "Graded 0 " in again.stdout and f"{len(learners)} unchanged" in again.stdout

    # Regrading that student keeps the manual score, flagged for review as nbgrader does.
    forced = subprocess.run(command + ["--student", chosen], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert forced.returncode == 0 and "Graded 1 " in forced.stdout, forced.stdout + forced.stderr
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "cnn-step-by-step") as gb:
        kept = gb.find_grade("conv_forward_test", "part1_forward", ASSIGNMENT, chosen)
        assert kept.manual_score == 7.5 and kept.score == 7.5 and kept.needs_manual_grade
        assert len(gb.assignment_submissions(ASSIGNMENT)) == len(learners)


def test_one_job_runs_on_its_own(graded, tmp_path):
    """The per-submission job as another machine would run it: files in, plain data out,
    with no course folder in reach (the folders are copied away and removed first)."""
    import pickle

    from instructor.grading.job import Assignment, Job, Result, grade
    from instructor.grading.sandbox import Limits
    course = graded["course"]
    for part in ("submitted/bugs-2", "solutions", "notebooks"):
        shutil.copytree(course / part / ASSIGNMENT if part != "submitted/bugs-2" else course / part,
                        tmp_path / "copy" / part)
    limits = Limits(cell_timeout=float(TIMEOUT), memory=int(MEMORY) << 20)
    assignment = Assignment.read(ASSIGNMENT, tmp_path / "copy" / "solutions", tmp_path / "copy" / "notebooks")
    job = Job.read("bugs-2", ASSIGNMENT, tmp_path / "copy" / "submitted/bugs-2" / ASSIGNMENT, limits)
    job, assignment = pickle.loads(pickle.dumps((job, assignment)))  # as a Dask worker receives them
    shutil.rmtree(tmp_path / "copy")
    result = pickle.loads(pickle.dumps(grade(job, assignment)))
    assert isinstance(result, Result)
    assert {t.exercise: t.score for t in result.tests} == graded["learners"]["bugs-2"].expected
    assert all(record.autograded for name, record in result.notebooks.items() if name != "explorers")

    done = subprocess.run([sys.executable, "-m", "instructor.grading.job",
                           str(course / "submitted" / "bugs-2" / ASSIGNMENT), str(course / "solutions" / ASSIGNMENT),
                           str(course / "notebooks" / ASSIGNMENT)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    scores = {t["exercise"]: t["score"] for record in printed["notebooks"].values() for t in record["tests"]}
    assert scores == graded["learners"]["bugs-2"].expected


def failing_feedback(course: str, db_url: str, assignment: str, student: str) -> str:
    """nbgrader's feedback, each call noted in the course's feedback-calls.txt (from whichever
    process of the pool wrote it); the feedback of "stub" fails as nbgrader's would."""
    from instructor.grading.feedback import generate_feedback
    with open(Path(course) / "feedback-calls.txt", "a", encoding="utf-8") as f:
        f.write(f"{student}\n")
    if student == "stub":
        raise RuntimeError("nbgrader generate_feedback failed for stub:\nTraceback (most recent call last):\n"
                           "  ...\nValueError: no page for this one\nPlease see the above traceback")
    return generate_feedback(course, db_url, assignment, student)


def test_feedback_is_written_once_per_student_by_a_pool(tmp_path, monkeypatch, capsys):
    """Feedback in two processes: each student's written once; one failing is said in one line
    and the others are written; a re-run writes only what is left."""
    course = classroom.make_course(tmp_path / "course")
    names = ("correct", "stub", "bugs-1", "bugs-2", "bugs-3")
    learners = [x for x in classroom.generated_class(course) if x.student in names]
    classroom.hand_in(course, learners)
    calls = course / "feedback-calls.txt"
    monkeypatch.setattr(cli, "generate_feedback", failing_feedback)
    assert grade(course, "--workers", "1", "--feedback-workers", "2", "--no-report") == 1
    out, err = capsys.readouterr()
    assert Counter(calls.read_text().split()) == Counter(names)  # each once
    said = [line for line in err.splitlines() if line.startswith("Could not")]
    assert len(said) == 1 and said[0].startswith("Could not write the feedback of stub: ValueError: no page for "
                                                  "this one"), err
    assert "feedback written for 4." in out and "in one of 2 processes" in out, out
    assert "ValueError: no page" in (course / "grading" / ASSIGNMENT / "feedback-errors.log").read_text()
    pages = course / "feedback" / "{}" / ASSIGNMENT / "part1_forward.html"
    assert [s for s in names if Path(str(pages).format(s)).is_file()] == [s for s in names if s != "stub"]
    with sqlite3.connect(course / "gradebook.db") as db:
        hashed = {s for (s,) in db.execute("select student from cnnbook_grading where feedback_hash is not null")}
    assert hashed == set(names) - {"stub"}

    # Again, nothing to grade: only the feedback that failed is written, and it fails again.
    assert grade(course, "--feedback-workers", "2", "--no-report") == 1
    assert Counter(calls.read_text().split()) == Counter(names) + Counter(["stub"])
    monkeypatch.undo()  # nbgrader's own feedback for the last run
    assert grade(course, "--no-report") == 0
    assert "feedback written for 1." in capsys.readouterr().out
    assert Path(str(pages).format("stub")).is_file()


def test_the_feedback_processes_find_nothing_to_write_in_the_gradebook(tmp_path, monkeypatch):
    """nbgrader's feedback opens the gradebook without a course id and adds that course's row
    the first time: several processes doing so at once collide (UNIQUE constraint failed:
    course.id). The owner adds it before the pool starts, so they only read."""
    from nbgrader.api import Gradebook

    from instructor.grading import gradebook
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ['PATH']}")  # alembic
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    book = gradebook.Book(url, "cnn-step-by-step", ASSIGNMENT)
    book.ready_for_feedback()
    book.close()
    with sqlite3.connect(tmp_path / "gradebook.db") as db:
        before = list(db.iterdump())
    Gradebook(url).close()  # as GetGrades opens it, in each feedback process
    with sqlite3.connect(tmp_path / "gradebook.db") as db:
        assert list(db.iterdump()) == before


def test_a_canvas_zip_graded_for_canvas(tmp_path):
    """A Canvas download graded in one run, then the grades for Canvas."""
    import zipfile
    course = classroom.make_course(tmp_path / "course")
    learners = {x.student: x for x in classroom.generated_class(course)
                if x.student in ("correct", "stub", "bugs-4", "bugs-5")}
    names = {"correct": "lovelaceada_LATE_101", "stub": "brownbo_102", "bugs-4": "curiecy_103",
             "bugs-5": "dijkstrad_104"}
    shutil.copytree(course / "notebooks", tmp_path / "staged" / "notebooks")
    with zipfile.ZipFile(tmp_path / "canvas.zip", "w") as zf:
        for k, (student, learner) in enumerate(sorted(learners.items())):
            folder = classroom.submit(tmp_path / "staged", student, learner.answers)
            for path in sorted(folder.glob("*.ipynb")):
                zf.write(path, f"{names[student]}_{9000 + k}_{path.name}")
    with open(tmp_path / "roster.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "first_name", "last_name", "email", "lms_user_id"])
        for student, name in names.items():
            w.writerow([student, "", name.split("_")[0], "", name.split("_")[-1]])
    common = ["--roster", str(tmp_path / "roster.csv"), "--no-feedback", "--canvas-column", "Assignment 1 (4242)"]
    assert grade(course, "--report-only", *common) == 0  # records the assignment once
    assert grade(course, str(tmp_path / "canvas.zip"), "--workers", "1", *common) == 0
    assert grade(course, "--report-only", "--lms", "canvas", *common) == 0
    grades = read_grades(course / "grading" / ASSIGNMENT / "grades.csv")
    for student, learner in learners.items():
        assert {ex: float(grades[student][ex]) for ex in learner.expected} == learner.expected, student
    assert grades["correct"]["late"] == "1" and grades["stub"]["late"] == "0"
    with open(course / "grading" / ASSIGNMENT / "grades-canvas.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Assignment 1 (4242)"]
    assert rows[1][0].strip() == "Points Possible" and rows[1][-1] == "85"
    totals = {row[1]: row[-1] for row in rows[2:]}
    assert totals == {name.split("_")[-1]: f"{sum(learners[s].expected.values()):g}" for s, name in names.items()}


def test_a_memory_hog_and_an_untouched_notebook_are_named(tmp_path):
    """With time enough to reach the memory limit, the learner who allocates without end is
    named for it, in grades.csv and in the report's failure groups; the stub as untouched."""
    course = classroom.make_course(tmp_path / "course")
    learners = [x for x in classroom.generated_class(course) if x.student in ("eats-memory", "stub")]
    classroom.hand_in(course, learners)
    assert cli.main([ASSIGNMENT, "--course", str(course), "--timeout", "60", "--memory", "700",
                     "--no-feedback"]) == 0
    grades = read_grades(course / "grading" / ASSIGNMENT / "grades.csv")
    assert "distribute_value: hit the memory limit (MemoryError)" in grades["eats-memory"]["attention"]
    assert "untouched: every answer cell is as it was handed out" in grades["stub"]["attention"]
    summary = report.Summary(**json.loads((course / "grading" / ASSIGNMENT / "summary.json").read_text()))
    labels = {label: who for (label, _, _), who in zip(summary.failures["distribute_value_test"],
                                                        summary.failed_by["distribute_value_test"])}
    assert labels["ran out of memory (MemoryError at the memory limit)"] == ["eats-memory"]

"""cnnbook-grade into a real PostgreSQL gradebook, on a throwaway server the tests start
(tests/services.py): the class graded there with the server stopped in the middle of the
run and the same command resuming it, every grade once, read back by stock ``nbgrader
export`` and formgrader; and a second instructor's run on the same gradebook refused, naming the first."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

import classroom
from conftest import ROOT
from services import Postgres, wait_for
from test_browser import browser  # noqa: F401 (the Chromium fixture, skipped with a how-to where absent)

pytestmark = pytest.mark.slow

ASSIGNMENT = "assignment1"


@pytest.fixture(scope="module")
def server():
    pg = Postgres()
    yield pg
    pg.close()


def command(course: Path, db: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "instructor.grading", ASSIGNMENT, "--course", str(course), "--db", db,
            "--timeout", "20", "--memory", "1024", "--workers", "2", *extra]


def env() -> dict:
    return {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}


def recorded(db: str) -> int:
    import psycopg
    try:
        with psycopg.connect(db.replace("postgresql://", "postgresql://", 1), connect_timeout=5) as conn:
            return conn.execute("select count(*) from cnnbook_grading").fetchone()[0]
    except psycopg.Error:  # the table is not there yet, or the server is stopped
        return 0


def test_the_class_into_postgresql_survives_the_server_stopping(server, tmp_path):
    from nbgrader.api import Gradebook
    course = classroom.make_course(tmp_path / "course")
    learners = classroom.generated_class(course)
    classroom.hand_in(course, learners)
    db = server.database("class")
    run = subprocess.Popen(command(course, db, "--no-feedback"), cwd=ROOT, env=env(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: recorded(db) >= 3 or run.poll() is not None, 900, "three graded submissions")
        server.stop()  # in the middle of the run
        out, err = run.communicate(timeout=300)
    finally:
        if run.poll() is None:
            run.kill()
        server.start()
    assert run.returncode == 3, out + err
    last = err.strip().splitlines()[-1]
    assert last.startswith("cnnbook-grade: the gradebook stopped answering") and "run the same command again" in last
    assert "Traceback" not in err
    first = recorded(db)
    assert 3 <= first < len(learners)

    again = subprocess.run(command(course, db, "--no-feedback"), cwd=ROOT, env=env(), capture_output=True,
                           text=True, timeout=1800)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{first} unchanged" in again.stdout and f"Graded {len(learners) - first} " in again.stdout
    with Gradebook(db, "cnn-step-by-step") as gb:
        submissions = gb.assignment_submissions(ASSIGNMENT)
        assert sorted(s.student_id for s in submissions) == sorted(x.student for x in learners)  # each once
    assert recorded(db) == len(learners)

    # Stock nbgrader reads the grades from the same database.
    exported = subprocess.run(["nbgrader", "export", f"--CourseDirectory.db_url={db}",
                               f"--CsvExportPlugin.to={tmp_path / 'export.csv'}"], cwd=course, env=env(),
                              capture_output=True, text=True, timeout=300)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    with open(tmp_path / "export.csv", newline="") as f:
        scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)
                  if row["assignment"] == ASSIGNMENT}
    assert scores == {x.student: sum(x.expected.values()) for x in learners}

    # formgrader, in JupyterLab started in the course with the gradebook's URL in its config
    from test_browser import SERVER_OPTIONS, serve
    config = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    (course / "nbgrader_config.py").write_text(config + f"\nc.CourseDirectory.db_url = {db!r}\n", encoding="utf-8")
    lab = [sys.executable, "-m", "jupyter", "lab", *SERVER_OPTIONS, f"--ServerApp.root_dir={course}"]
    with serve(lab, course, "/api/status", "formgrader", env=env()) as url:
        with urllib.request.urlopen(f"{url}/formgrader/api/submissions/{ASSIGNMENT}", timeout=60) as r:
            shown = json.load(r)
    assert {s["student"]: s["score"] for s in shown} == scores


def test_feedback_from_a_postgresql_gradebook_in_two_processes(server, tmp_path):
    """A fresh PostgreSQL gradebook: two processes writing feedback at once each find what
    they read there, and every student's feedback is written and recorded."""
    import psycopg
    course = classroom.make_course(tmp_path / "course")
    names = ("correct", "stub", "bugs-1", "bugs-2")
    classroom.hand_in(course, [x for x in classroom.generated_class(course) if x.student in names])
    db = server.database("feedback")
    done = subprocess.run(command(course, db, "--feedback-workers", "2", "--no-report"), cwd=ROOT, env=env(),
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "feedback written for 4." in done.stdout and "in one of 2 processes" in done.stdout, done.stdout
    for student in names:
        assert (course / "feedback" / student / ASSIGNMENT / "part1_forward.html").is_file(), student
    with psycopg.connect(db) as conn:
        hashed = {s for (s,) in conn.execute("select student from cnnbook_grading where feedback_hash is not null")}
    assert hashed == set(names)


def test_a_second_instructor_is_refused_while_the_first_grades(server, tmp_path):
    """A database lock, held by the first run for its whole length: the second run is
    refused with the first one's name and writes nothing; once the first ends, it runs."""
    from instructor.grading.gradebook import RunLock
    course = classroom.make_course(tmp_path / "course")
    learners = [x for x in classroom.generated_class(course) if x.student in ("correct", "stub")]
    classroom.hand_in(course, learners)
    db = server.database("two")
    first = RunLock(db, ASSIGNMENT, "ada@grading-1 (process 4242)").acquire()
    try:
        second = subprocess.run(command(course, db), cwd=ROOT, env=env(), capture_output=True, text=True,
                                timeout=300)
        assert second.returncode == 2
        assert second.stderr.strip().splitlines() == [second.stderr.strip()]
        assert "ada@grading-1 (process 4242) is grading assignment1 into this gradebook since" in second.stderr
        assert recorded(db) == 0
        # another assignment is not held by it
        assert RunLock(db, "assignment2", "bo@grading-2").acquire().release() is None
    finally:
        first.release()
    done = subprocess.run(command(course, db, "--no-feedback"), cwd=ROOT, env=env(), capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert recorded(db) == len(learners)


def test_a_killed_run_lets_go_of_the_gradebook(server, tmp_path):
    """The lock is the holder's database session: a holder killed outright holds nothing."""
    from instructor.grading.gradebook import Locked, RunLock
    db = server.database("killed")
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\n"
                               "from instructor.grading.gradebook import RunLock\n"
                               f"RunLock({db!r}, 'assignment1', 'cy@grading-3').acquire()\n"
                               "print('held', flush=True)\ntime.sleep(600)\n"], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(Locked, match="cy@grading-3 is grading assignment1"):
            RunLock(db, ASSIGNMENT, "me").acquire()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    lock = wait_for(lambda: _try(RunLock, Locked, db), 60, "the killed holder's session to end")
    lock.release()


def _try(lock_class, locked, db):
    try:
        return lock_class(db, ASSIGNMENT, "me").acquire()
    except locked:
        return None


def test_formgrader_shows_the_postgresql_grades_in_the_browser(server, browser, tmp_path):
    """What an instructor sees: formgrader's submissions page, in Chromium, reading the gradebook
    that cnnbook-grade wrote into PostgreSQL."""
    from test_browser import SERVER_OPTIONS, SHOTS, serve
    course = classroom.make_course(tmp_path / "course")
    learners = [x for x in classroom.generated_class(course) if x.student in ("correct", "stub")]
    classroom.hand_in(course, learners)
    db = server.database("formgrader")
    done = subprocess.run(command(course, db, "--no-feedback"), cwd=ROOT, env=env(), capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    config = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    (course / "nbgrader_config.py").write_text(config + f"\nc.CourseDirectory.db_url = {db!r}\n", encoding="utf-8")
    lab = [sys.executable, "-m", "jupyter", "lab", *SERVER_OPTIONS, f"--ServerApp.root_dir={course}"]
    with serve(lab, course, "/api/status", "formgrader", env=env()) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        try:
            page.goto(f"{url}/formgrader/manage_submissions/{ASSIGNMENT}", timeout=120_000)
            page.wait_for_function(f"document.querySelectorAll('td.student-id').length >= {len(learners)}"
                                   " && [...document.querySelectorAll('td.score')].every(td => td.textContent)",
                                   timeout=120_000)
            rows = page.eval_on_selector_all(
                "tbody tr", "rows => rows.map(r => [r.querySelector('td.student-id')?.textContent.trim(),"
                            " r.querySelector('td.score')?.textContent.trim()])")
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "formgrader-postgresql.png"), full_page=True)
        finally:
            page.close()
    shown = {student: float(score.split("/")[0]) for student, score in rows if student}
    assert shown == {x.student: sum(x.expected.values()) for x in learners}
    assert shown["correct"] > shown["stub"]  # two different scores, each on its own row

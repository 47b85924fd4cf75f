"""cnnbook-grade on a real Dask cluster: a scheduler and two workers started here as their
own processes on 127.0.0.1 grade the class of tests/test_grading.py, one worker killed in
the middle of a task; and a scheduler that cannot be reached stops the run before anything
is written."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import classroom
from conftest import ROOT
from services import dask_cluster, free_port, wait_for

pytestmark = pytest.mark.slow

ASSIGNMENT = "assignment1"


def command(course: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "instructor.grading", ASSIGNMENT, "--course", str(course), "--timeout", "20",
            "--memory", "1024", *extra]


def env() -> dict:
    # nbgrader runs alembic from this environment's bin folder
    return {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}


def read_grades(path: Path) -> dict[str, dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


def grading_worker(client) -> str | None:
    """A worker running a grading task now."""
    for worker, keys in client.processing().items():
        if any(str(k).startswith("grade-") for k in keys):
            return worker
    return None


def test_a_class_on_a_dask_cluster_with_a_worker_killed_mid_task(tmp_path):
    from distributed import Client
    from nbgrader.api import Gradebook
    course = classroom.make_course(tmp_path / "course")
    learners = classroom.generated_class(course)
    assert len(learners) >= 30
    classroom.hand_in(course, learners)
    with dask_cluster(tmp_path, workers=2) as address, Client(address) as client:
        run = subprocess.Popen(command(course, "--scheduler", address, "--no-feedback"), cwd=ROOT, env=env(),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            victim = wait_for(lambda: grading_worker(client) if run.poll() is None else "ended", 600,
                              "a grading task on a worker")
            assert victim != "ended", run.communicate()[0]
            pid = client.run(os.getpid, workers=[victim])[victim]
            os.kill(pid, signal.SIGKILL)  # the worker process, in the middle of a task
            output = run.communicate(timeout=1800)[0]
        finally:
            if run.poll() is None:
                run.kill()
        assert victim not in client.scheduler_info(n_workers=-1)["workers"]
    assert run.returncode == 0, output
    assert f"Graded {len(learners)} " in output and " 0 failed" in output, output
    table = output[output.index("Bounds on every submission"):output.index("The solutions score")]
    assert table.count("Landlock ABI") == 2 and table.count("seccomp (") == 2, table  # a row per worker
    assert "workers busy" in output and "/min" in output
    grades = read_grades(course / "grading" / ASSIGNMENT / "grades.csv")
    for learner in learners:
        assert {ex: float(grades[learner.student][ex]) for ex in learner.expected} == learner.expected, \
            learner.student
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "cnn-step-by-step") as gb:
        submissions = gb.assignment_submissions(ASSIGNMENT)
        assert sorted(s.student_id for s in submissions) == sorted(x.student for x in learners)  # each once
        cells = len(gb.find_assignment(ASSIGNMENT).notebooks[0].grade_cells)
        for sub in submissions:
            assert len(sub.notebooks[0].grades) == cells
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("select count(*), count(distinct student) from cnnbook_grading").fetchone() \
            == (len(learners), len(learners))


def noted_feedback(course: str, db_url: str, assignment: str, student: str) -> str:
    """nbgrader's feedback, noted in the course's order.txt once written."""
    from instructor.grading.feedback import generate_feedback
    generate_feedback(course, db_url, assignment, student)
    with open(Path(course) / "order.txt", "a", encoding="utf-8") as f:
        f.write(f"feedback {student}\n")
    return student


def test_with_a_scheduler_the_feedback_is_written_while_the_grading_goes_on(tmp_path, monkeypatch):
    """The last result is held back until some feedback is written: with the workers
    elsewhere, the feedback of those recorded before it does not wait for the grading."""
    from instructor.grading import cli
    course = classroom.make_course(tmp_path / "course")
    learners = [x for x in classroom.generated_class(course) if x.student in
                ("correct", "stub", "bugs-1", "bugs-2", "bugs-3", "bugs-4")]
    classroom.hand_in(course, learners)
    order = course / "order.txt"
    recorded = []

    def held_commit(sub, *rest):
        if len(recorded) == len(learners) - 1:
            wait_for(lambda: order.is_file() and "feedback" in order.read_text(), 600,
                     "a student's feedback written before the last result is recorded")
        cli_commit(sub, *rest)
        recorded.append(sub.student)
        with open(order, "a", encoding="utf-8") as f:
            f.write(f"recorded {sub.student}\n")

    cli_commit = cli.commit
    monkeypatch.setattr(cli, "commit", held_commit)
    monkeypatch.setattr(cli, "generate_feedback", noted_feedback)
    with dask_cluster(tmp_path, workers=2) as address:
        assert cli.main([ASSIGNMENT, "--course", str(course), "--timeout", "20", "--memory", "1024",
                         "--scheduler", address, "--feedback-workers", "2", "--no-report"]) == 0
    lines = order.read_text().splitlines()
    assert sorted(lines) == sorted([f"recorded {x.student}" for x in learners]
                                   + [f"feedback {x.student}" for x in learners])  # each once
    assert lines[-1].startswith("feedback ") and lines.index(f"recorded {recorded[-1]}") > \
        min(k for k, line in enumerate(lines) if line.startswith("feedback "))
    for x in learners:
        assert (course / "feedback" / x.student / ASSIGNMENT / "part1_forward.html").is_file(), x.student


def test_an_unreachable_scheduler_stops_the_run_before_anything_is_written(tmp_path):
    course = classroom.make_course(tmp_path / "course")
    learners = [x for x in classroom.generated_class(course) if x.student in ("correct", "stub")]
    classroom.hand_in(course, learners)
    (course / "gradebook.db").unlink(missing_ok=True)
    before = sorted(p.relative_to(course) for p in course.rglob("*"))
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    done = subprocess.run(command(course, "--scheduler", address), cwd=ROOT, env=env(), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"cnnbook-grade: cannot reach the Dask scheduler at {address}")
    assert sorted(p.relative_to(course) for p in course.rglob("*")) == before  # nothing written


def test_the_readmes_slurm_workers_render_a_job_script():
    """The README's Slurm example, offline: the job script dask-jobqueue would submit (no
    Slurm here; nothing is submitted)."""
    jobqueue = pytest.importorskip("dask_jobqueue", reason="pip install dask-jobqueue (only for this example)")
    with jobqueue.SLURMCluster(cores=1, processes=1, memory="4GB", walltime="02:00:00", queue="grading",
                               account="cnn-course", python="/opt/cnn-course/.venv/bin/python",
                               scheduler_options={"host": "127.0.0.1", "dashboard_address": "127.0.0.1:0"}) as cluster:
        script = cluster.job_script()
    lines = script.splitlines()
    assert {"#SBATCH -p grading", "#SBATCH -A cnn-course", "#SBATCH -n 1", "#SBATCH -t 02:00:00"} <= set(lines)
    worker = next(line for line in lines if "distributed.cli.dask_worker" in line)
    assert worker.startswith("/opt/cnn-course/.venv/bin/python -m distributed.cli.dask_worker tcp://127.0.0.1:")
    assert "--nthreads 1" in worker  # one submission at a time per worker

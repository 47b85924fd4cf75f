"""Grading at scale: the engine against plain `nbgrader autograde` on N submissions, the
engine's own cost per task (a library process pool, a LocalCluster and a Dask scheduler
over TCP with two workers), and a projection to a large course from those measurements.

    python benchmarks/grading_scale.py [--students 200] [--tasks 400] [--skip-nbgrader]

Every figure comes from this one run, side by side; timings on a shared machine are noise,
ratios hold better. Targets on 2 cores: the engine at least 4x faster than plain nbgrader
and at most 0.5 s per submission; at most 50 ms of engine overhead per task. The
projection at the end is a model computed from the figures above, stated with its
assumptions, not a measurement.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

import classroom  # noqa: E402
from grading import plain_autograde, two_courses  # noqa: E402  (the grading benchmark's class, extended to N)
from instructor.execute import isolated_home  # noqa: E402
from services import dask_cluster  # noqa: E402

RATIO_TARGET = 4.0
PER_SUBMISSION_TARGET = 0.5   # seconds, on 2 cores
OVERHEAD_TARGET = 0.050       # seconds per task
PROJECT_N, PROJECT_WORKERS = 10_000, 50


def grade_command(course: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "instructor.grading", classroom.ASSIGNMENT, "--course", str(course),
            "--no-report", *extra]


def engine_run(course: Path, *extra: str) -> dict:
    """One cnnbook-grade run: its grading phase, its per-submission costs in the owner."""
    start = time.perf_counter()
    done = subprocess.run(grade_command(course, *extra), cwd=ROOT, capture_output=True, text=True)
    total = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"cnnbook-grade failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    graded = re.search(r"^Graded (\d+) \(([\d.]+) s", done.stdout, re.M)
    recording = re.search(r"recording (\d+) ms", done.stdout)
    hashing = re.search(r"feedback's hash (\d+) ms", done.stdout)
    feedback = re.search(r"feedback, per submission: (\d+) ms in one of (\d+) processes, (\d+) ms of wall time",
                         done.stdout)
    return {"graded": int(graded[1]), "seconds": float(graded[2]), "command": total,
            "recording": float(recording[1]) / 1000 if recording else 0.0,
            "hashing": float(hashing[1]) / 1000 if hashing else 0.0,
            "feedback": float(feedback[1]) / 1000 if feedback else 0.0,
            "feedback_processes": int(feedback[2]) if feedback else 0,
            "feedback_wall": float(feedback[3]) / 1000 if feedback else 0.0}


def overhead(submit_all, tasks: int, workers: int) -> float:
    """Worker time per task spent on anything but work: tasks that do nothing but carry a
    submission-sized payload there and a small result back, timed in bulk."""
    submit_all(2 * workers)  # warm: workers started, functions imported
    start = time.perf_counter()
    submit_all(tasks)
    return (time.perf_counter() - start) * workers / tasks


def main() -> int:
    warnings.filterwarnings("ignore", message="Object of type .* not in session")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=400, help="empty tasks per engine for the overhead")
    parser.add_argument("--skip-nbgrader", action="store_true", help="leave plain nbgrader out (it is slow)")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as tmp, isolated_home(Path(tmp) / "home"):
        tmp = Path(tmp)
        plain, ours, students = two_courses(tmp, args.students)
        n = len(students)
        payload = sum(p.stat().st_size for p in (ours / "submitted" / students[0]).rglob("*") if p.is_file())
        print(f"{n} submissions of {classroom.ASSIGNMENT} on {cores} cores (one submission: {payload >> 10} KB)")

        t_plain = float("nan")
        if not args.skip_nbgrader:
            t_plain = plain_autograde(plain)
            if t_plain is None:
                return 1
        ours_run = engine_run(ours, "--no-feedback", "--workers", str(cores))
        fb_run = engine_run(ours, "--workers", str(cores), "--feedback-workers", str(cores))  # only feedback
        t_ours = ours_run["seconds"]
        per = t_ours / n
        print("\nGrading (seconds for the class, per submission):")
        print(f"  {'nbgrader autograde (one after another)':46s} {t_plain:8.1f} s  {t_plain / n:6.2f} s")
        print(f"  {f'cnnbook-grade on a LocalCluster of {cores}':46s} {t_ours:8.1f} s  {per:6.2f} s")
        print(f"    (the whole command, with the bounds probe and the solutions' check: {ours_run['command']:.1f} s)")
        print(f"    the gradebook's process, per submission: recording {ours_run['recording'] * 1000:.0f} ms, "
              f"each feedback's hash {fb_run['hashing'] * 1000:.0f} ms")
        print(f"    feedback, per submission: {fb_run['feedback'] * 1000:.0f} ms in one process; "
              f"{fb_run['feedback_wall'] * 1000:.0f} ms of wall time with {fb_run['feedback_processes']} processes "
              f"({fb_run['feedback'] / max(fb_run['feedback_wall'], 1e-9):.1f}x one process)")
        ratio = t_plain / t_ours
        ok_ratio, ok_per = ratio >= RATIO_TARGET, per <= PER_SUBMISSION_TARGET
        print(f"  nbgrader / engine = {ratio:.2f} (target >= {RATIO_TARGET:g}: {'ok' if ok_ratio else 'MISSED'}); "
              f"{per:.2f} s per submission (target <= {PER_SUBMISSION_TARGET:g}: {'ok' if ok_per else 'MISSED'})")

        # The engine's own cost per task, with a payload the size of a submission.
        from distributed import Client, LocalCluster
        blob = os.urandom(payload)
        results = {}
        with ProcessPoolExecutor(cores) as pool:
            results["process pool (concurrent.futures)"] = overhead(
                lambda k: list(pool.map(len, [blob] * k)), args.tasks, cores)
        with LocalCluster(n_workers=cores, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address="127.0.0.1:0") as cluster, \
                Client(cluster) as client:
            results[f"LocalCluster, {cores} workers"] = overhead(
                lambda k: client.gather([client.submit(len, blob, pure=False) for _ in range(k)]), args.tasks, cores)
        with dask_cluster(tmp, workers=2) as address, Client(address) as client:
            results["dask scheduler over TCP, 2 workers"] = overhead(
                lambda k: client.gather([client.submit(len, blob, pure=False) for _ in range(k)]), args.tasks, 2)
        print(f"\nOverhead per task ({args.tasks} empty tasks carrying {payload >> 10} KB each; worker time per task):")
        for name, seconds in results.items():
            print(f"  {name:46s} {seconds * 1000:7.2f} ms")
        pool_cost = results["process pool (concurrent.futures)"]
        tcp = results["dask scheduler over TCP, 2 workers"]
        worst = max(results.values())
        print(f"  dask over TCP / process pool = {tcp / pool_cost:.1f}; engine overhead <= {OVERHEAD_TARGET * 1000:g} ms: "
              f"{'ok' if worst <= OVERHEAD_TARGET else 'MISSED'}")

        # A projection, not a measurement.
        work = per * cores  # one worker's seconds per submission, measured here
        owner = ours_run["recording"] + fb_run["hashing"]   # serial, in the gradebook's process
        workers_time = PROJECT_N * (work + tcp) / PROJECT_WORKERS
        owner_time = PROJECT_N * owner
        pool_time = PROJECT_N * fb_run["feedback_wall"]     # the pool's throughput, as measured here
        # The pool kept every core busy at its pace: a feedback costs pace x cores of CPU, and the
        # recording's share comes on top, spread over the same cores.
        cpu_time = PROJECT_N * (fb_run["feedback_wall"] + owner / cores)
        machine_time = max(owner_time, pool_time, cpu_time)
        serial_time = PROJECT_N * (owner + fb_run["feedback"])  # feedback in the gradebook's process
        startup = ours_run["command"] - t_ours
        total = max(workers_time, machine_time) + startup
        print(f"\nProjection (a model from the figures above, not a measurement): {PROJECT_N:,} submissions "
              f"on {PROJECT_WORKERS} workers")
        print(f"  workers: {PROJECT_N:,} x ({work:.2f} s of work + {tcp * 1000:.1f} ms of engine) / "
              f"{PROJECT_WORKERS} = {workers_time / 60:.1f} min")
        print(f"  the gradebook's machine, while the workers grade: its process records one submission after "
              f"another, {PROJECT_N:,} x {owner * 1000:.0f} ms (recording + feedback's hash) = {owner_time / 60:.1f} "
              f"min; its {fb_run['feedback_processes']} feedback processes write {PROJECT_N:,} x "
              f"{fb_run['feedback_wall'] * 1000:.0f} ms = {pool_time / 60:.1f} min; both on its {cores} cores "
              f"{PROJECT_N:,} x ({fb_run['feedback_wall'] * 1000:.0f} + {owner * 1000:.0f} / {cores}) ms = "
              f"{cpu_time / 60:.1f} min; "
              f"so {machine_time / 60:.1f} min (the feedback in the gradebook's process, one after another, as "
              f"before: {serial_time / 60:.1f} min)")
        bound = "the workers" if workers_time >= machine_time else "the gradebook's machine"
        print(f"  + {startup:.0f} s before the first task (probe, solutions' check)  ->  about "
              f"{total / 60:.0f} min, bound by {bound}")
        print("  assumptions: each worker a core like these, busy only with grading; submissions like this "
              "class's; the scheduler's and network's cost per task as over TCP here (loopback); the gradebook "
              "written at this machine's speed (a PostgreSQL server across a network adds its round trips); "
              f"the gradebook's machine like this one ({cores} cores), writing the feedback while the grading "
              "goes on (--scheduler) at the pool's pace measured here with every core busy, the recording's "
              "time added on those cores, and nothing else running there; the grading, recording and feedback overlapping completely, "
              "so the slower side bounds the run (--no-feedback takes the feedback out)")
        return 0 if ok_ratio and ok_per and worst <= OVERHEAD_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

"""How long each solution notebook takes to run, and one nbgrader autograde of one submission.

    python benchmarks/notebooks.py [--repeat N]

Target: every solution notebook under 20 s on a 2-core machine. Times are medians of
N runs; the machine may be shared, so read them as rough figures.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from instructor import release  # noqa: E402
from instructor.execute import copy_with_files, execute, isolated_home  # noqa: E402

TARGET_SECONDS = 20.0


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    # nbgrader's own gradebook code warns on every autograde; it is not ours to fix.
    warnings.filterwarnings("ignore", message="Object of type .* not in session")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    status = 0
    with tempfile.TemporaryDirectory() as tmp, isolated_home(Path(tmp) / "home"):
        tmp = Path(tmp)
        print(f"{'notebook':40s} {'median s':>9s}  target < {TARGET_SECONDS:.0f} s")
        for k, path in enumerate(sorted((ROOT / "solutions").rglob("*.ipynb"))):
            copy = copy_with_files(path, tmp / f"run{k}")
            t = statistics.median(timed(lambda: execute(copy, copy.parent)) for _ in range(args.repeat))
            ok = t < TARGET_SECONDS
            status |= not ok
            print(f"{path.relative_to(ROOT).as_posix():40s} {t:9.2f}  {'ok' if ok else 'TOO SLOW'}")

        from nbgrader.apps import NbGraderAPI
        course = tmp / "course"
        release.generate_elsewhere(course)
        api = NbGraderAPI(config=release.nbgrader_config(course))
        assignment = release.ASSIGNMENTS[0]
        times = []
        for k in range(args.repeat):
            student = f"student{k}"
            dest = course / "submitted" / student / assignment
            shutil.copytree(ROOT / "solutions" / assignment, dest)
            times.append(timed(lambda: api.autograde(assignment, student, force=True, create=True)))
        print(f"{'nbgrader autograde, one submission':40s} {statistics.median(times):9.2f}")
    return status


if __name__ == "__main__":
    sys.exit(main())

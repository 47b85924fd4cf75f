"""The mutation score of the checks: per exercise, how many of the catalogue's mistakes the
public checks catch and how many the hidden tests catch.

    python tests/mutation_score.py      # rewrites tests/mutation_score.json

test_mutation_score.py fails when a count drops below the stored one, so a check weakened
(or a row lost) cannot pass unnoticed; after adding rows or strengthening a check, run this
script and commit the file it writes.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # run as a script from anywhere

import catalogue  # noqa: E402
from cnnbook.checker import available_suites, check  # noqa: E402
from mistakes import CATALOGUE  # noqa: E402

STORED = HERE / "mutation_score.json"
SUITES = ("public", "hidden")


def caught(case, assignment: str, suite: str) -> bool:
    """Whether the ``suite`` checks fail on the learner's code of ``case``."""
    if suite not in available_suites(case.check):
        # Without the instructor's package every hidden check "fails": that would count as caught.
        raise RuntimeError(f"{case.check} has no {suite} tests here: install the instructor package "
                           "(python3 start.py) to measure the mutation score")
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            check(case.check, catalogue.target(case, assignment), suite=suite)
        except Exception:  # a check that fails or breaks on the code catches it alike
            return True
    return False


def score() -> dict:
    """{exercise: {"mistakes": n, "public": caught by the public checks, "hidden": ...}}."""
    out: dict = {}
    for assignment, rows in CATALOGUE.items():
        for case in rows:
            if case.hint is None:
                continue
            counts = out.setdefault(case.check, {"mistakes": 0, **{s: 0 for s in SUITES}})
            counts["mistakes"] += 1
            for suite in SUITES:
                counts[suite] += caught(case, assignment, suite)
    return out


if __name__ == "__main__":
    STORED.write_text(json.dumps(score(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {STORED}")

"""Recording one graded submission: its autograded notebooks where nbgrader keeps them,
then its scores in the gradebook. Done by the process that owns the run, one submission
at a time."""

from __future__ import annotations

import json
from pathlib import Path

from instructor.grading.files import atomic_write
from instructor.grading.job import Result


def commit(sub, result: Result, chash: str, ghash: str, book, autograded: Path, assignment: str) -> None:
    folder = autograded / sub.student / assignment
    for name, record in result.notebooks.items():
        path = folder / f"{name}.ipynb"
        if record.autograded:
            atomic_write(path, json.dumps(record.autograded, indent=1))
        elif path.exists():
            path.unlink()  # the notebook is no longer handed in
    stamp = sub.folder / "timestamp.txt"
    if stamp.is_file():
        atomic_write(folder / "timestamp.txt", stamp.read_text(encoding="utf-8"))
    book.record(result, sub, chash, ghash)

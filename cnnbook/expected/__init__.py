"""Expected arrays of the public tests, generated from the solutions.

Regenerate with ``python -m instructor.make_expected``; a test fails when they are stale.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def path(assignment: str) -> Path:
    return HERE / f"{assignment}.npz"


@lru_cache(maxsize=None)
def load(assignment: str) -> dict[str, np.ndarray]:
    with np.load(path(assignment), allow_pickle=False) as data:
        return {key: data[key] for key in data.files}

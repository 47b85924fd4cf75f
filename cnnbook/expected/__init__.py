"""Expected arrays of the public tests, generated from the solutions.

Regenerate with ``python -m instructor.make_expected``; a test fails when they are stale.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def path(assignment: str) -> Path:
    return HERE / f"{assignment}.npz"


class Arrays(Mapping):
    """The arrays of one .npz file by name, each read from it when first asked for: a check
    or an explorer's view needs a few of its thousands."""

    def __init__(self, file: Path):
        self._data = np.load(file, allow_pickle=False)  # the zip's directory, read once
        self._names = dict.fromkeys(self._data.files)
        self._read: dict[str, np.ndarray] = {}

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._read:
            if key not in self._names:
                raise KeyError(key)
            self._read[key] = self._data[key]
        return self._read[key]

    def __contains__(self, key) -> bool:
        return key in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


@lru_cache(maxsize=None)
def load(assignment: str) -> Arrays:
    return Arrays(path(assignment))

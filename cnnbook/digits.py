"""The handwritten digits of Assignment 3, stored in data/digits.h5.

The file has three groups, train, val and test, each with ``images`` (n, 8, 8), uint8
pixel counts 0..16, and ``labels`` (n,), uint8 digits 0..9; its attributes record the
source, the licence and the split.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

PATH = Path(__file__).resolve().parent.parent / "data" / "digits.h5"
SPLITS = ("train", "val", "test")


def open_file(path: Path = PATH):
    """The HDF5 file, read-only; use it as a context manager so that it is closed."""
    import h5py

    if not Path(path).exists():
        raise FileNotFoundError(f"{path} is missing: it ships with the workbook in data/")
    return h5py.File(path, "r")


def load(path: Path = PATH) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{"train"|"val"|"test": (images uint8 (n, 8, 8), labels uint8 (n,))}, read into memory."""
    with open_file(path) as f:
        return {name: (f[name]["images"][...], f[name]["labels"][...]) for name in SPLITS if name in f}


def as_batch(images: np.ndarray) -> np.ndarray:
    """uint8 images (n, 8, 8) -> float64 (n, 1, 8, 8) scaled to 0..1, channels-first."""
    return (np.asarray(images, dtype=np.float64) / 16.0)[:, None, :, :]

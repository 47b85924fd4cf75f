"""Write data/digits.h5: scikit-learn's 8 x 8 handwritten digits, split once, stratified.

    python -m instructor.make_digits            # (re)write the file
    python -m instructor.make_digits --check    # exit 1 if the file differs from a fresh build

Needs scikit-learn, which ships the data (the workbook itself does not need it).
The split is 60/20/20 per class, drawn with a fixed seed, so the file is the same
on every machine; its source, licence and split are recorded in its attributes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from cnnbook import digits

SEED = 0
FRACTIONS = {"train": 0.6, "val": 0.2, "test": 0.2}
ATTRS = {
    "title": "Optical Recognition of Handwritten Digits (8 x 8)",
    "source": ("UCI Machine Learning Repository, 'Optical Recognition of Handwritten Digits' "
               "(E. Alpaydin, C. Kaynak, 1998), the copy of its test set that scikit-learn ships "
               "as sklearn.datasets.load_digits"),
    "url": "https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits",
    "doi": "10.24432/C50P49",
    "licence": "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
    "pixels": "integers 0..16, the number of set pixels in each 4 x 4 block of a 32 x 32 bitmap",
    "split": (f"stratified by digit, {FRACTIONS['train']:.0%} train / {FRACTIONS['val']:.0%} val / "
              f"{FRACTIONS['test']:.0%} test, numpy default_rng({SEED}); made by instructor/make_digits.py"),
}


def split() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{"train"|"val"|"test": (images uint8 (n, 8, 8), labels uint8 (n,))}"""
    from sklearn.datasets import load_digits

    data = load_digits()
    images, labels = data.images.astype(np.uint8), data.target.astype(np.uint8)
    rng = np.random.default_rng(SEED)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in FRACTIONS}
    for digit in range(10):
        idx = rng.permutation(np.flatnonzero(labels == digit))
        n_train = round(len(idx) * FRACTIONS["train"])
        n_val = round(len(idx) * FRACTIONS["val"])
        parts["train"].append(idx[:n_train])
        parts["val"].append(idx[n_train:n_train + n_val])
        parts["test"].append(idx[n_train + n_val:])
    out = {}
    for name, chunks in parts.items():
        idx = rng.permutation(np.concatenate(chunks))  # classes mixed, order fixed by the seed
        out[name] = (images[idx], labels[idx])
    return out


def write(path: Path) -> None:
    import h5py

    with h5py.File(path, "w", track_order=True) as f:
        f.attrs.update(ATTRS)
        for name, (images, labels) in split().items():
            group = f.create_group(name)
            group.create_dataset("images", data=images, track_times=False)
            group.create_dataset("labels", data=labels, track_times=False)
            group.attrs["count"] = len(labels)


def differences(path: Path) -> list[str]:
    """What differs between the file at ``path`` and a fresh build."""
    stored = digits.load(path)
    fresh = split()
    problems = []
    for name, (images, labels) in fresh.items():
        got = stored.get(name)
        if got is None or not (np.array_equal(got[0], images) and np.array_equal(got[1], labels)):
            problems.append(f"{name} differs")
    with digits.open_file(path) as f:
        if dict(f.attrs) != ATTRS:
            problems.append("attributes differ")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.check:
        problems = differences(digits.PATH)
        print("\n".join(problems) or f"{digits.PATH} is up to date")
        return 1 if problems else 0
    digits.PATH.parent.mkdir(exist_ok=True)
    write(digits.PATH)
    print(f"wrote {digits.PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Training time and test accuracy of Assignment 3's solution, with the notebook's settings.

    python benchmarks/training.py [--seeds N]

Target on a 2-core machine: at least 97% test accuracy within 60 s of training (a floor,
not an exact figure: BLAS builds differ in the last digits). Also times one epoch with
Assignment 1's loop layers, for scale.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cnnbook import digits  # noqa: E402
from cnnbook.training import accuracy, train  # noqa: E402
from instructor import oracles_a3, solutions  # noqa: E402

SETTINGS = dict(epochs=20, lr=0.05, momentum=0.9, batch_size=32)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="trainings with different seeds")
    args = parser.parse_args()
    fn = solutions.load("assignment3")
    init_params = solutions.load_cells("assignment3", "init_params")["init_params"]
    data = {k: (digits.as_batch(x), y.astype(np.int64)) for k, (x, y) in digits.load().items()}
    print(f"settings: {SETTINGS}, 16 filters")
    status = 0
    for seed in range(args.seeds):
        net = fn["SimpleCNN"](init_params(filters=16, seed=seed))
        with contextlib.redirect_stdout(io.StringIO()):
            history = train(net, data, fn["sgd_step"], seed=seed, live=False, **SETTINGS)
        acc = accuracy(net, *data["test"])
        ok = acc >= 0.97 and history.seconds <= 60
        status |= not ok
        print(f"seed {seed}: trained in {history.seconds:5.1f} s, test accuracy {acc:.1%}  "
              f"({'ok' if ok else 'MISSED'}: target >= 97% within 60 s)")
    # For scale: one epoch with loop layers (Assignment 2's loop oracle stands in for them).
    loop_net = oracles_a3.SimpleCNN(init_params(filters=16, seed=0))
    x, labels = data["train"]
    start = time.perf_counter()
    for i in range(0, len(x), 32):
        loop_net.gradient(x[i:i + 32], labels[i:i + 32])
    loops = time.perf_counter() - start
    fast = history.seconds / SETTINGS["epochs"]
    print(f"one epoch: {fast * 1e3:.0f} ms with the im2col layers, {loops:.1f} s with loop layers "
          f"({loops / fast:.0f} times slower)")
    return int(status)


if __name__ == "__main__":
    sys.exit(main())

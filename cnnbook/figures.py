"""The figures in images/, drawn from the notebooks' own worked examples.

    python -m cnnbook.figures          # rewrite images/*.svg
    python -m cnnbook.figures --check  # exit 1 if a figure differs from its drawing code
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from cnnbook.drawing import EMPHASIS, PAD_FILL, PALETTE, Panel, figure

IMAGES = Path(__file__).resolve().parent.parent / "images"

X3 = np.arange(1, 10).reshape(3, 3)                       # the 3 x 3 input of the examples
K2 = np.array([[1, 0], [0, 1]])                           # the 2 x 2 filter
P4 = np.array([[1, 3, 2, 0], [4, 6, 5, 1], [7, 2, 0, 3], [1, 8, 4, 2]])  # the 4 x 4 pooling input
DA2 = np.array([[1, 2], [3, 4]])                          # the gradient of the 2 x 2 pooled output


def _window_fills(n: int, f: int, stride: int) -> dict[tuple[int, int], str]:
    """Fill the cells of each (non-overlapping) window with its own colour."""
    fills = {}
    for k, (h, w) in enumerate((h, w) for h in range(0, n - f + 1, stride)
                               for w in range(0, n - f + 1, stride)):
        for r in range(h, h + f):
            for c in range(w, w + f):
                fills[(r, c)] = PALETTE[k % len(PALETTE)]
    return fills


def _output_fills(n_out: int) -> dict[tuple[int, int], str]:
    return {(h, w): PALETTE[(h * n_out + w) % len(PALETTE)] for h in range(n_out) for w in range(n_out)}


def padding() -> str:
    padded = np.pad(X3, 1)
    border = {(r, c): PAD_FILL for r in range(5) for c in range(5) if r in (0, 4) or c in (0, 4)}
    return figure([Panel(X3, "X: 3 × 3"), Panel(padded, "zero_pad(X, 1): 5 × 5", fills=border)],
                  ["pad = 1"], "A border of pad = 1 zeros on every side; only height and width grow.")


def conv_window() -> str:
    out = np.array([[6, 8], [12, 14]])
    window = {(r, c): PALETTE[1] for r in (0, 1) for c in (1, 2)}
    return figure([Panel(X3, "input", fills=window, boxes=[(0, 1, 2, 2, EMPHASIS)]),
                   Panel(K2, "filter W", fills={(r, c): PALETTE[1] for r in (0, 1) for c in (0, 1)}),
                   Panel(out, "Z", fills={(0, 1): PALETTE[1]}, boxes=[(0, 1, 1, 1, EMPHASIS)],
                         bold={(0, 1)})],
                  ["times", "sum + b"],
                  "Z[0, 1] = 2·1 + 3·0 + 5·0 + 6·1 + b = 8, with b = 0; stride 1 moves the window one cell.")


def _pool(mode: str) -> np.ndarray:
    win = P4.reshape(2, 2, 2, 2).swapaxes(1, 2)
    return win.max(axis=(2, 3)) if mode == "max" else win.mean(axis=(2, 3))


def _window_maxima() -> set[tuple[int, int]]:
    top = set()
    for h in range(2):
        for w in range(2):
            win = P4[2 * h:2 * h + 2, 2 * w:2 * w + 2]
            r, c = np.argwhere(win == win.max())[0]
            top.add((2 * h + int(r), 2 * w + int(c)))
    return top


def pooling(mode: str) -> str:
    bold = _window_maxima() if mode == "max" else set()
    return figure([Panel(P4, "A_prev: 4 × 4", fills=_window_fills(4, 2, 2), bold=bold),
                   Panel(_pool(mode), "A: 2 × 2", fills=_output_fills(2))],
                  [f"{mode}, f = 2, stride 2"],
                  "Each coloured window gives one output: its maximum." if mode == "max"
                  else "Each coloured window gives one output: its mean.")


def pool_backward(mode: str) -> str:
    fills = _window_fills(4, 2, 2)
    if mode == "max":
        bold = _window_maxima()
        dprev = np.zeros((4, 4))
        for r, c in bold:
            dprev[r, c] = DA2[r // 2, c // 2]
        caption = "Each gradient goes back to the maximum of its window (the mask); the rest get 0."
    else:
        dprev = np.kron(DA2 / 4, np.ones((2, 2)))
        caption = "Each gradient is shared equally by the f·f = 4 cells of its window."
        bold = set()
    return figure([Panel(DA2, "dA: 2 × 2", fills=_output_fills(2)),
                   Panel(P4, "A_prev", fills=fills, bold=bold),
                   Panel(dprev, "dA_prev", fills=fills, bold=bold)],
                  ["", "mask" if mode == "max" else "÷ 4"], caption)


def conv_backward() -> str:
    dZ = np.array([[1, 0], [0, 0]])
    window = {(r, c): PALETTE[0] for r in (0, 1) for c in (0, 1)}
    return figure([Panel(dZ, "dZ", fills={(0, 0): PALETTE[0]}, bold={(0, 0)}),
                   Panel(X3, "A_prev", fills=window, boxes=[(0, 0, 2, 2, EMPHASIS)]),
                   Panel(np.array([[1, 2], [4, 5]]), "dW", fills={(r, c): PALETTE[0] for r in (0, 1)
                                                              for c in (0, 1)})],
                  ["", "window × dZ"],
                  "Only Z[0, 0] has a gradient, so dW is the window it saw, and db = 1.")


FIGURES = {
    "padding.svg": padding,
    "conv_window.svg": conv_window,
    "max_pool.svg": lambda: pooling("max"),
    "average_pool.svg": lambda: pooling("average"),
    "conv_backward.svg": conv_backward,
    "max_pool_backward.svg": lambda: pool_backward("max"),
    "average_pool_backward.svg": lambda: pool_backward("average"),
}


def stale() -> list[str]:
    return [name for name, draw in FIGURES.items()
            if not (IMAGES / name).exists() or (IMAGES / name).read_text(encoding="utf-8") != draw()]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale figures")
    args = parser.parse_args(argv)
    if args.check:
        bad = stale()
        if bad:
            print(f"stale figures: {', '.join(bad)}: run `python -m cnnbook.figures`")
        return 1 if bad else 0
    IMAGES.mkdir(exist_ok=True)
    for name, draw in FIGURES.items():
        (IMAGES / name).write_text(draw(), encoding="utf-8", newline="\n")
    print(f"wrote {len(FIGURES)} figures to {IMAGES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

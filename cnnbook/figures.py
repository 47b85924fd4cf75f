"""The figures in images/, drawn from the notebooks' own worked examples by the explorers'
own state and drawing code (cnnbook.explorers), so the still pictures and the interactive
ones cannot drift apart.

    python -m cnnbook.figures          # rewrite images/*.svg
    python -m cnnbook.figures --check  # exit 1 if a figure differs from its drawing code
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from cnnbook.drawing import figure
from cnnbook.explorers import convolution, gradients, padding, pooling

IMAGES = Path(__file__).resolve().parent.parent / "images"

X3 = np.arange(1, 10).reshape(3, 3)                       # the 3 x 3 input of the examples
K2 = np.array([[1, 0], [0, 1]])                           # the 2 x 2 filter
P4 = pooling.EXAMPLE                                      # the 4 x 4 pooling input
DZ1 = np.array([[1, 0], [0, 0]])                          # dZ with one gradient


def padding_figure() -> str:
    state = padding.padding_state(1, x=X3)
    return figure(*padding.panels(state),
                  "A border of pad = 1 zeros on every side; only height and width grow.")


def conv_window() -> str:
    state = convolution.conv_state(pad=0, stride=1, row=0, col=1, x=X3, w=K2, b=0)
    return figure(*convolution.panels(state),
                  "Z[0, 1] = 2·1 + 3·0 + 5·0 + 6·1 + b = 8, with b = 0; stride 1 moves the window "
                  "one cell.")


def conv_floor() -> str:
    state = convolution.conv_state(pad=1, stride=2, row=1, col=1, x=X3, w=K2, b=0)
    return figure(*convolution.panels(state),
                  "Stride 2, pad 1: n_H = ⌊(3 + 2 − 2) / 2⌋ + 1 = ⌊1.5⌋ + 1 = 2; the window never "
                  "reaches the hatched last row and column.")


def pooling_figure(mode: str) -> str:
    state = pooling.pool_state(P4, 2, 2, mode)
    return figure(*pooling.forward_panels(state, overview=True),
                  "Each coloured window gives one output: its maximum (in bold)." if mode == "max"
                  else "Each coloured window gives one output: its mean.")


def pool_backward(mode: str) -> str:
    state = pooling.pool_state(P4, 2, 2, mode)
    caption = ("Each gradient goes back to the maximum of its window (the mask); the rest get 0."
               if mode == "max" else "Each gradient is shared equally by the f·f = 4 cells of its window.")
    return figure(*pooling.backward_panels(state, overview=True), caption)


def conv_backward() -> str:
    state = gradients.grad_state("conv", "weight", row=0, col=0, x=X3, w=K2, dz=DZ1)
    (panels, arrows), = gradients.panels(state)
    return figure(panels, arrows,
                  "dW[0, 0] = 1·1 + 2·0 + 4·0 + 5·0 = 1: only Z[0, 0] has a gradient, so dW is "
                  "the window it saw, and db = 1.")


FIGURES = {
    "padding.svg": padding_figure,
    "conv_window.svg": conv_window,
    "conv_floor.svg": conv_floor,
    "max_pool.svg": lambda: pooling_figure("max"),
    "average_pool.svg": lambda: pooling_figure("average"),
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

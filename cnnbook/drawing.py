"""Small SVG drawings of grids of numbers: the figures in images/ are made of these.

Each panel is a grid of cells with optional fills, a highlighted rectangle and a
caption; a figure puts panels side by side with arrows between them. The output
is plain, deterministic SVG text, so a figure can be compared byte for byte with
the file in images/ and shown in a notebook, a browser or a widget alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

import numpy as np

CELL = 34
GAP = 60
CHAR = 7.2  # rough width of a 13 px character, to size captions and arrow labels
MARGIN = 12
CAPTION = 34
FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'"

# Colour-blind-safe fills (Okabe-Ito, lightened), the zero border, and emphasis.
PALETTE = ["#f5c26b", "#8ecae6", "#a7d9a2", "#f4a6a6", "#c9b3e6", "#f7e08f"]
PAD_FILL = "#e6e6e6"
EMPHASIS = "#d55e00"


@dataclass
class Panel:
    """One grid: values[r][c] written in the cells."""
    values: np.ndarray
    title: str = ""
    fills: dict[tuple[int, int], str] = field(default_factory=dict)
    boxes: list[tuple[int, int, int, int, str]] = field(default_factory=list)  # r, c, h, w, colour
    fmt: str = "{:g}"
    bold: set[tuple[int, int]] = field(default_factory=set)

    @property
    def size(self) -> tuple[int, int]:
        rows, cols = np.shape(self.values)
        return cols * CELL, rows * CELL


def _num(x: float) -> str:
    return f"{round(x, 2):g}"


def panel_svg(p: Panel, x0: float, y0: float) -> str:
    rows, cols = np.shape(p.values)
    out = []
    for r in range(rows):
        for c in range(cols):
            x, y = x0 + c * CELL, y0 + r * CELL
            fill = p.fills.get((r, c), "#ffffff")
            out.append(f"<rect x='{_num(x)}' y='{_num(y)}' width='{CELL}' height='{CELL}' "
                       f"fill='{fill}' stroke='#555' stroke-width='1'/>")
            weight = " font-weight='bold'" if (r, c) in p.bold else ""
            text = escape(p.fmt.format(p.values[r][c]))
            size = 13 if len(text) <= 3 else 11 if len(text) == 4 else 9
            out.append(f"<text x='{_num(x + CELL / 2)}' y='{_num(y + CELL / 2 + 4.5)}' "
                       f"text-anchor='middle' font-size='{size}'{weight}>{text}</text>")
    for r, c, h, w, colour in p.boxes:
        out.append(f"<rect x='{_num(x0 + c * CELL)}' y='{_num(y0 + r * CELL)}' "
                   f"width='{w * CELL}' height='{h * CELL}' fill='none' stroke='{colour}' "
                   f"stroke-width='3'/>")
    if p.title:
        out.append(f"<text x='{_num(x0 + cols * CELL / 2)}' y='{_num(y0 - 8)}' "
                   f"text-anchor='middle' font-size='13'>{escape(p.title)}</text>")
    return "\n".join(out)


def figure(panels: list[Panel], arrows: list[str] | None = None, caption: str = "") -> str:
    """Panels side by side, centred vertically, an arrow (with a label) between each pair."""
    arrows = arrows or [""] * (len(panels) - 1)
    gaps = [max(GAP, len(label) * CHAR + 24) for label in arrows]
    content = sum(p.size[0] for p in panels) + sum(gaps)
    width = 2 * MARGIN + max(content, len(caption) * CHAR)
    inner = max(p.size[1] for p in panels)
    top = MARGIN + 22
    height = top + inner + (CAPTION if caption else MARGIN)
    body, x = [], MARGIN + (width - 2 * MARGIN - content) / 2
    for k, p in enumerate(panels):
        w, h = p.size
        body.append(panel_svg(p, x, top + (inner - h) / 2))
        x += w
        if k < len(panels) - 1:
            mid, gap = top + inner / 2, gaps[k]
            body.append(f"<line x1='{_num(x + 8)}' y1='{_num(mid)}' x2='{_num(x + gap - 10)}' "
                        f"y2='{_num(mid)}' stroke='#333' stroke-width='1.5' "
                        "marker-end='url(#arrow)'/>")
            if arrows[k]:
                body.append(f"<text x='{_num(x + gap / 2)}' y='{_num(mid - 7)}' text-anchor='middle' "
                            f"font-size='12'>{escape(arrows[k])}</text>")
            x += gap
    if caption:
        body.append(f"<text x='{_num(width / 2)}' y='{_num(height - 12)}' text-anchor='middle' "
                    f"font-size='13'>{escape(caption)}</text>")
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{_num(width)}' height='{_num(height)}' "
            f"viewBox='0 0 {_num(width)} {_num(height)}' {FONT}>\n"
            "<defs><marker id='arrow' markerWidth='8' markerHeight='8' refX='7' refY='4' "
            "orient='auto'><path d='M0,0 L8,4 L0,8 z' fill='#333'/></marker></defs>\n"
            "<rect width='100%' height='100%' fill='#ffffff'/>\n"
            + "\n".join(body) + "\n</svg>\n")

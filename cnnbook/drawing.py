"""Small SVG drawings of grids of numbers: the figures in images/, the explorers' views and
the figure under a failed check (``mismatch_figure``).

Each panel is a grid of cells with optional fills, highlighted rectangles, hatched
(never reached) cells, framed differences and a title; a figure puts panels side by
side with arrows between them. The output is plain, deterministic SVG text with no
element ids (several drawings share one page in a notebook), so a figure can be
compared byte for byte with the file in images/ and shown in a notebook, a browser
or a widget alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

import numpy as np

CELL = 34
GAP = 60
CHAR = 7.2  # rough width of a 13 px character, to size titles, captions and arrow labels
MARGIN = 12
CAPTION = 34
TITLE_LINE = 16
AXIS_TOP = 13   # room for the column indices above a grid
AXIS_LEFT = 18  # room for the row indices left of a grid
FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'"

# Colour-blind-safe fills (Okabe-Ito, lightened), the zero border, and emphasis.
PALETTE = ["#f5c26b", "#8ecae6", "#a7d9a2", "#f4a6a6", "#c9b3e6", "#f7e08f"]
PAD_FILL = "#e6e6e6"
EMPHASIS = "#d55e00"      # vermillion: the window, the cell being computed
WINDOW = PALETTE[1]       # sky blue: the cells of the current window
SOURCE = PALETTE[0]       # orange: the cells that feed or receive a value
DIFF = "#cc79a7"          # reddish purple, dashed: a learner's value that differs
HATCH = "#8a8a8a"         # grey strokes: cells no window reaches


@dataclass
class Panel:
    """One grid: values[r][c] written in the cells (NaN or "" leaves a cell blank)."""
    values: np.ndarray
    title: str = ""  # "\n" starts a second line
    fills: dict[tuple[int, int], str] = field(default_factory=dict)
    # r, c, h, w, colour and, optionally, an inset in pixels (to tell overlapping boxes apart)
    boxes: list[tuple] = field(default_factory=list)
    fmt: str = "{:g}"
    bold: set[tuple[int, int]] = field(default_factory=set)
    hatch: set[tuple[int, int]] = field(default_factory=set)
    diffs: dict[tuple[int, int], str] = field(default_factory=dict)  # cell -> what was expected
    tips: dict[tuple[int, int], str] = field(default_factory=dict)   # cell -> tooltip
    axes: bool = False  # row and column indices along the left and top edges
    cell: int = CELL

    @property
    def shape(self) -> tuple[int, int]:
        rows, cols = np.shape(self.values)[:2]
        return rows, cols

    @property
    def grid(self) -> tuple[int, int]:
        rows, cols = self.shape
        return cols * self.cell, rows * self.cell

    @property
    def head(self) -> float:
        """Room above the grid for the title and the column indices."""
        lines = len(self.title.split("\n")) if self.title else 0
        return (TITLE_LINE * lines + 6 if lines else 0) + (AXIS_TOP if self.axes else 0)

    @property
    def size(self) -> tuple[float, float]:
        """Width of the panel (grid, indices or title, whichever is widest) and grid height."""
        gw, gh = self.grid
        left = AXIS_LEFT if self.axes else 0
        title = max((len(t) for t in self.title.split("\n")), default=0) * CHAR
        return max(left + gw, left + title), gh


def _num(x: float) -> str:
    return f"{round(x, 2):g}"


def cell_text(value, fmt: str) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
        return ""
    if isinstance(value, (float, np.floating)) and value == 0:
        value = 0.0  # no "-0"
    return fmt.format(value)


def _hatch(x: float, y: float, s: float) -> str:
    """Three diagonal strokes across a cell: drawn lines, not a pattern, so no id is needed."""
    h = s / 2
    segments = [(x, y + h, x + h, y), (x, y + s, x + s, y), (x + h, y + s, x + s, y + h)]
    return "\n".join(f"<line x1='{_num(a)}' y1='{_num(b)}' x2='{_num(c)}' y2='{_num(d)}' "
                     f"stroke='{HATCH}' stroke-width='1.2'/>" for a, b, c, d in segments)


def panel_svg(p: Panel, x0: float, y0: float) -> str:
    """The panel with its box's left edge at x0 and its grid's top edge at y0."""
    rows, cols = p.shape
    s = p.cell
    gw, _ = p.grid
    left = AXIS_LEFT if p.axes else 0
    gx = x0 + (p.size[0] - left - gw) / 2 + left
    scale = s / CELL
    out = []
    for r in range(rows):
        for c in range(cols):
            x, y = gx + c * s, y0 + r * s
            fill = p.fills.get((r, c), "#ffffff")
            rect = (f"<rect x='{_num(x)}' y='{_num(y)}' width='{s}' height='{s}' "
                    f"fill='{fill}' stroke='#555' stroke-width='1'/>")
            parts = [rect]
            if (r, c) in p.hatch:
                parts.append(_hatch(x, y, s))
            weight = " font-weight='bold'" if (r, c) in p.bold else ""
            text = escape(cell_text(p.values[r][c], p.fmt))
            if text:
                size = (13 if len(text) <= 3 else 11 if len(text) == 4 else 9) * scale
                parts.append(f"<text x='{_num(x + s / 2)}' y='{_num(y + s / 2 + 4.5 * scale)}' "
                             f"text-anchor='middle' font-size='{_num(size)}'{weight}>{text}</text>")
            tip = p.tips.get((r, c))
            if (r, c) in p.diffs:
                tip = (tip + "; " if tip else "") + f"expected {p.diffs[(r, c)]}"
            if tip:
                out.append(f"<g><title>{escape(tip)}</title>" + "".join(parts) + "</g>")
            else:
                out.extend(parts)
    for r, c, h, w, colour, *inset in p.boxes:
        k = inset[0] if inset else 0
        out.append(f"<rect x='{_num(gx + c * s + k)}' y='{_num(y0 + r * s + k)}' "
                   f"width='{_num(w * s - 2 * k)}' height='{_num(h * s - 2 * k)}' fill='none' "
                   f"stroke='{colour}' stroke-width='3'/>")
    for (r, c), expected in p.diffs.items():
        x, y = gx + c * s, y0 + r * s
        out.append(f"<rect x='{_num(x + 2.5)}' y='{_num(y + 2.5)}' width='{_num(s - 5)}' "
                   f"height='{_num(s - 5)}' fill='none' stroke='{DIFF}' stroke-width='2.5' "
                   "stroke-dasharray='4 2'/>")
        out.append(f"<text x='{_num(x + s - 5)}' y='{_num(y + 11)}' text-anchor='end' "
                   f"font-size='9' fill='#8c2d6b' font-weight='bold'>≠</text>")
    if p.axes:
        for r in range(rows):
            out.append(f"<text x='{_num(gx - 5)}' y='{_num(y0 + r * s + s / 2 + 3.5)}' "
                       f"text-anchor='end' font-size='10' fill='#666'>{r}</text>")
        for c in range(cols):
            out.append(f"<text x='{_num(gx + c * s + s / 2)}' y='{_num(y0 - 4)}' "
                       f"text-anchor='middle' font-size='10' fill='#666'>{c}</text>")
    if p.title:
        lines = p.title.split("\n")
        base = y0 - 8 - (AXIS_TOP if p.axes else 0)
        for k, line in enumerate(lines):
            y = base - (len(lines) - 1 - k) * TITLE_LINE
            out.append(f"<text x='{_num(gx + gw / 2)}' y='{_num(y)}' "
                       f"text-anchor='middle' font-size='13'>{escape(line)}</text>")
    return "\n".join(out)


def figure(panels: list[Panel], arrows: list[str | None] | None = None, caption: str = "") -> str:
    """Panels side by side, centred vertically, an arrow (with a label) between each pair;
    None instead of a label leaves a plain gap (panels shown side by side, not derived)."""
    arrows = arrows or [""] * (len(panels) - 1)
    gaps = [GAP * 0.6 if label is None else max(GAP, len(label) * CHAR + 24) for label in arrows]
    content = sum(p.size[0] for p in panels) + sum(gaps)
    width = 2 * MARGIN + max(content, len(caption) * CHAR)
    inner = max(p.size[1] for p in panels)
    top = MARGIN + max(max(p.head for p in panels), 22)
    height = top + inner + (CAPTION if caption else MARGIN)
    body, x = [], MARGIN + (width - 2 * MARGIN - content) / 2
    for k, p in enumerate(panels):
        w, h = p.size
        body.append(panel_svg(p, x, top + (inner - h) / 2))
        x += w
        if k < len(panels) - 1 and arrows[k] is None:
            x += gaps[k]
        elif k < len(panels) - 1:
            mid, gap = top + inner / 2, gaps[k]
            tip = x + gap - 9
            body.append(f"<line x1='{_num(x + 8)}' y1='{_num(mid)}' x2='{_num(tip - 6)}' "
                        f"y2='{_num(mid)}' stroke='#333' stroke-width='1.5'/>")
            body.append(f"<path d='M{_num(tip - 8)},{_num(mid - 4)} L{_num(tip)},{_num(mid)} "
                        f"L{_num(tip - 8)},{_num(mid + 4)} z' fill='#333'/>")
            if arrows[k]:
                body.append(f"<text x='{_num(x + gap / 2)}' y='{_num(mid - 7)}' text-anchor='middle' "
                            f"font-size='12'>{escape(arrows[k])}</text>")
            x += gap
    if caption:
        body.append(f"<text x='{_num(width / 2)}' y='{_num(height - 12)}' text-anchor='middle' "
                    f"font-size='13'>{escape(caption)}</text>")
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{_num(width)}' height='{_num(height)}' "
            f"viewBox='0 0 {_num(width)} {_num(height)}' {FONT}>\n"
            "<rect width='100%' height='100%' fill='#ffffff'/>\n"
            + "\n".join(body) + "\n</svg>\n")


# The largest grid a failed check draws: the rows and the columns of the slice shown. Above it
# the check's one line says enough, and a figure would bury it.
MISMATCH_SIDE = 12


def mismatch_figure(got, expected, label: str, rtol: float, atol: float) -> str | None:
    """``got`` beside ``expected`` (arrays of one shape), as grids of numbers, every cell where
    they differ framed on ``got``: SVG text, or None. An array of more than two axes is
    shown on its last two, at the leading indices of the first difference. None when they do
    not differ, have no axis, or the grid shown is wider or taller than MISMATCH_SIDE."""
    got = np.asarray(got, dtype=float)
    expected = np.asarray(expected, dtype=float)
    if got.shape != expected.shape or got.ndim == 0:
        return None
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol)
    if not bad.any():
        return None
    lead = tuple(int(i) for i in np.argwhere(bad)[0][:-2])
    grid_got, grid_want, grid_bad = got[lead], expected[lead], bad[lead]
    where = label
    if got.ndim == 1:
        grid_got, grid_want, grid_bad = (a.reshape(1, -1) for a in (grid_got, grid_want, grid_bad))
    elif got.ndim > 2:
        where = f"{label}[{', '.join(map(str, lead))}, :, :]"
    if max(grid_got.shape) > MISMATCH_SIDE:
        return None
    diffs = {(int(r), int(c)): f"{grid_want[r, c]:.6g}" for r, c in np.argwhere(grid_bad)}
    panels = [Panel(grid_got, f"yours: {where}", diffs=diffs, fmt="{:.3g}", axes=True, cell=40),
              Panel(grid_want, f"expected: {where}", fmt="{:.3g}", axes=True, cell=40)]
    # Notebooks and nbgrader's pages show an SVG output as an image, without its tooltips: the
    # expected panel beside it says what each framed cell should hold.
    return figure(panels, [None], f"framed (≠): the {len(diffs)} of {grid_got.size} cells that differ")

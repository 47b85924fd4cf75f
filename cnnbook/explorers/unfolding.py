"""im2col explorer (Assignment 2): which pixels a row of ``col`` holds, which pixel a column
takes from every window, and why ``col2im`` adds where windows overlap.

The input is one image of ``CHANNELS`` channels whose pixels are numbered 1, 2, 3, ... in
(c, y, x) order, so that every entry of ``col`` names the pixel it came from (0 is padding).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cnnbook.drawing import EMPHASIS, PAD_FILL, SOURCE, WINDOW, Panel, figure
from cnnbook.explorers import _core as core
from cnnbook.explorers import _expected
from cnnbook.explorers._core import Check

CHANNELS = 2
# What the controls allow (the stored views cover exactly these).
N_RANGE, F_RANGE, STRIDE_RANGE, PAD_RANGE = range(3, 6), range(2, 4), range(1, 3), range(0, 2)
# Light to dark: how many windows cover a pixel (colour-blind-safe, one hue).
# (light enough that the black numbers stay readable).
HEAT = ["#ffffff", "#eff3ff", "#deebf7", "#c6dbef", "#9ecae1", "#84bce0", "#6baed6", "#5aa0cf",
        "#4a94c9", "#3f8ac2"]
COL_CELL = 22  # the col matrix is large: smaller cells


def heat(count: float) -> str:
    return HEAT[min(int(count), len(HEAT) - 1)]


@dataclass
class Im2colState:
    n: int
    f: int
    stride: int
    pad: int
    window: int                      # the row of col (a window, in (i, j) order)
    column: int                      # the column of col (a (c, y, x) offset in the window)
    x: np.ndarray                    # the image (C, n, n): pixel numbers 1, 2, 3, ...
    padded: np.ndarray               # (C, n + 2·pad, n + 2·pad)
    out: int                         # windows per side
    error: str = ""
    col: np.ndarray | None = None    # expected im2col, (out·out, C·f·f)
    counts: np.ndarray | None = None  # expected col2im of a col of ones, (C, n, n)
    labels: list[str] = field(default_factory=list)  # "c,y,x" of each column
    row_cells: list[tuple[int, int, int]] = field(default_factory=list)   # padded (c, r, q) per column
    column_cells: list[tuple[int, int, int]] = field(default_factory=list)  # padded (c, r, q) per window
    text: str = ""
    learner_col: Check = field(default_factory=lambda: Check("im2col"))
    learner_counts: Check = field(default_factory=lambda: Check("col2im"))

    @property
    def ij(self) -> tuple[int, int]:
        """The window's position (i, j) among the out × out windows."""
        return divmod(self.window, self.out) if self.out else (0, 0)

    @property
    def cyx(self) -> tuple[int, int, int]:
        """The column's offset (c, y, x) inside a window."""
        f = self.f
        return self.column // (f * f), (self.column // f) % f, self.column % f


def image(n: int) -> np.ndarray:
    """The explorer's input (C, n, n): pixel numbers 1, 2, 3, ... in (c, y, x) order."""
    return np.arange(1, CHANNELS * n * n + 1, dtype=float).reshape(CHANNELS, n, n)


def im2col_state(n: int = 4, f: int = 2, stride: int = 1, pad: int = 0, window: int = 0,
                 column: int = 0, im2col=None, col2im=None) -> Im2colState:
    """Everything the im2col explorer shows for these settings, without drawing it."""
    x = image(n)
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    out = core.out_size(n, f, pad, stride)
    s = Im2colState(n, f, stride, pad, window, column, x, padded, out)
    if out == 0:
        s.error = f"f = {f} is larger than the padded input ({n + 2 * pad}): no window fits."
        return s
    s.window = min(max(window, 0), out * out - 1)
    s.column = min(max(column, 0), CHANNELS * f * f - 1)
    found = _expected.get("im2col", padded, f, stride)
    counted = _expected.get("col2im_counts", CHANNELS, n, f, stride, pad)
    if found is None or counted is None:
        s.error = "the expected views of this setting are not stored: they cannot be shown."
        return s
    s.col, s.counts = found[0], counted[0]
    # The column order im2col uses, (c, y, x): the notebook's definition, written out.
    s.labels = [f"{c},{y},{q}" for c in range(CHANNELS) for y in range(f) for q in range(f)]
    i, j = s.ij
    s.row_cells = [(c, i * stride + y, j * stride + q)
                   for c in range(CHANNELS) for y in range(f) for q in range(f)]
    c, y, q = s.cyx
    s.column_cells = [(c, a * stride + y, b * stride + q) for a in range(out) for b in range(out)]
    value = s.col[s.window, s.column]
    r, p = i * stride + y, j * stride + q
    where = (f"padding (row {r}, column {p} of the padded channel {c})" if value == 0
             else f"pixel {core.fmt(value)}, at (c, y, x) = ({c}, {r - pad}, {p - pad}) of the image")
    s.text = (f"Row {s.window} of col is window (i, j) = ({i}, {j}) = {s.window} // {out}, "
              f"{s.window} % {out}: it starts at row {i}·{stride} = {i * stride}, column "
              f"{j}·{stride} = {j * stride} of the padded image.\n"
              f"Column {s.column} of col is offset (c, y, x) = ({c}, {y}, {q}) in every window: "
              f"c = {s.column} // {f * f}, y = {s.column} // {f} % {f}, x = {s.column} % {f}.\n"
              f"col[{s.window}, {s.column}] = padded[{c}, {i}·{stride} + {y}, {j}·{stride} + {q}] "
              f"= padded[{c}, {r}, {p}]: {where}.")
    batch = x[None]
    rows, width = out * out, CHANNELS * f * f
    s.learner_col = core.check("im2col", im2col, (batch, f, f, stride, pad),
                               lambda res: core.as_array(res, (rows, width), "col"), s.col, "col")
    s.learner_counts = core.check(
        "col2im", col2im, (np.ones((rows, width)), batch.shape, f, f, stride, pad),
        lambda res: core.as_array(res, batch.shape, "col2im's result")[0].reshape(CHANNELS * n, n),
        s.counts.reshape(CHANNELS * n, n), "counts")
    got, overlap = s.learner_counts.value, s.counts.reshape(CHANNELS * n, n) > 1
    if s.learner_counts.diffs and overlap.any() and np.all(got[overlap] == 1):
        s.learner_counts.note = ("Where windows overlap it gives 1: it looks like col2im assigns "
                                 "(=) a window's values; it must add them (+=).")
    return s


# Drawing ------------------------------------------------------------------------------

def panels(s: Im2colState) -> list[tuple[list[Panel], list]]:
    """Rows of panels: the image's channels with the window and the column's pixels, the col
    matrix with its row and column, the chosen row labelled, and the col2im counts."""
    total = s.padded.shape[1]
    rows = []
    chosen = s.row_cells[s.column] if s.row_cells else None
    channels = []
    for c in range(CHANNELS):
        fills = {(r, q): PAD_FILL for r in range(total) for q in range(total)
                 if min(r, q) < s.pad or max(r, q) >= total - s.pad}
        # The window keeps its colour over the pixels other windows take for the column; the
        # one pixel it gives the column itself is orange (and bold).
        fills.update({(r, q): SOURCE for cc, r, q in s.column_cells if cc == c})
        fills.update({(r, q): WINDOW for cc, r, q in s.row_cells if cc == c})
        if chosen and chosen[0] == c:
            fills[(chosen[1], chosen[2])] = SOURCE
        boxes = []
        if s.row_cells:
            i, j = s.ij
            boxes.append((i * s.stride, j * s.stride, s.f, s.f, EMPHASIS))
        bold = {(chosen[1], chosen[2])} if chosen and chosen[0] == c else set()
        channels.append(Panel(s.padded[c], f"channel {c}" + (" padded" if s.pad else ""),
                              fills=fills, boxes=boxes, bold=bold, axes=True))
    rows.append((channels, [None] * (CHANNELS - 1)))
    if s.col is None:
        return rows
    height, width = s.col.shape
    fills = {(w, s.column): SOURCE for w in range(height)}
    fills.update({(s.window, k): WINDOW for k in range(width) if k != s.column})
    col_panels = [Panel(s.col, f"col: {height} × {width}", fills=fills, cell=COL_CELL, axes=True,
                        boxes=[(s.window, s.column, 1, 1, EMPHASIS)], bold={(s.window, s.column)})]
    arrows = []
    if s.learner_col.value is not None:
        col_panels.append(Panel(s.learner_col.value, "your im2col", cell=COL_CELL, axes=True,
                                fills=fills, diffs=s.learner_col.diffs))
        arrows.append(None)
    rows.append((col_panels, arrows))
    labelled = np.empty((2, width), dtype=object)
    labelled[0] = [core.fmt(v) for v in s.col[s.window]]
    labelled[1] = s.labels
    rows.append(([Panel(labelled, f"row {s.window} of col (top) and each entry's (c, y, x) "
                                  "in the window (bottom)",
                        fills={(r, s.column): SOURCE for r in range(2)} | {
                            (0, k): WINDOW for k in range(width) if k != s.column},
                        boxes=[(0, s.column, 2, 1, EMPHASIS)])], []))
    counts = s.counts[0]
    heat_fills = {(r, q): heat(counts[r, q]) for r in range(s.n) for q in range(s.n)}
    count_panels = [Panel(counts, "windows covering each pixel\n(channel 0)", fills=heat_fills,
                          axes=True)]
    arrows = []
    if s.learner_counts.value is not None:
        mine = s.learner_counts.value[:s.n]
        diffs = {cell: v for cell, v in s.learner_counts.diffs.items() if cell[0] < s.n}
        count_panels.append(Panel(mine, "your col2im(ones)\n(channel 0)", axes=True,
                                  fills={(r, q): heat(max(mine[r, q], 0)) for r in range(s.n)
                                         for q in range(s.n)}, diffs=diffs))
        arrows.append(None)
    rows.append((count_panels, arrows))
    return rows


def render(s: Im2colState) -> str:
    parts = []
    if s.error:
        parts.append(core.message("error", s.error))
    drawn = panels(s)
    parts.append(core.svg(figure(*drawn[0])))
    if s.col is not None:
        parts.append(core.legend((WINDOW, "the window (its row of col)"),
                                 (SOURCE, "the column's pixel in every window"),
                                 *([("#e6e6e6", "zero padding")] if s.pad else []),
                                 diff=bool(s.learner_col.diffs or s.learner_counts.diffs),
                                 notes=("bold: the entry col[row, column]",)))
        parts.append(core.formula(s.text))
        parts.append(core.svg(figure(*drawn[1])))
        parts.extend(core.message(k, t) for k, t in core.check_lines(s.learner_col, "col"))
        parts.append(core.svg(figure(*drawn[2])))
        parts.append(core.paragraph(
            "col2im adds every entry of col back to the pixel it came from. Fold a col of ones and "
            "each pixel gets the number of windows that covered it: 1 where windows do not "
            "overlap, more where they do (a stride smaller than f), 0 where no window reaches. "
            "A gradient folded back the same way adds the share of every window."))
        parts.append(core.svg(figure(*drawn[3])))
        parts.extend(core.message(k, t) for k, t in core.check_lines(s.learner_counts,
                                                                     "counts from a col of ones"))
        if s.learner_counts.diffs and s.learner_counts.note:
            parts.append(core.message("info", s.learner_counts.note))
        if s.learner_col.status == "absent" and s.learner_counts.status == "absent":
            parts.append(core.expected_only("explore_im2col(im2col=im2col, col2im=col2im)", "functions"))
    return core.page(*parts)


def explore_im2col(im2col=None, col2im=None):
    """Pick a window (a row of col) and a column of col: see the pixels each takes from the
    image, with stride and pad as controls, and col2im of a col of ones as counts.

    With your ``im2col`` and ``col2im`` the explorer shows your results beside the expected
    ones and frames every value that differs.
    """
    controls = {"n": core.slider("input n", 4, N_RANGE[0], N_RANGE[-1]),
                "f": core.slider("f", 2, F_RANGE[0], F_RANGE[-1]),
                "stride": core.slider("stride", 1, STRIDE_RANGE[0], STRIDE_RANGE[-1]),
                "pad": core.slider("pad", 0, PAD_RANGE[0], PAD_RANGE[-1]),
                "window": core.slider("window (row of col)", 0, 0, 8),
                "column": core.slider("column of col", 0, 0, 7)}

    def draw(c):
        s = im2col_state(c["n"].value, c["f"].value, c["stride"].value, c["pad"].value,
                         c["window"].value, c["column"].value, im2col, col2im)
        core.fit_slider(c["window"], s.out * s.out - 1)
        core.fit_slider(c["column"], CHANNELS * s.f * s.f - 1)
        return render(s)

    return core.make_explorer("im2col", controls, [["n", "f", "stride", "pad"], ["window", "column"]],
                              draw)

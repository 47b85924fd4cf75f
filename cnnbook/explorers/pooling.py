"""Pooling explorer: the windows of max or average pooling, the mask of every window, where
each output's gradient goes back to, ties, and overlapping windows adding up."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from cnnbook.drawing import EMPHASIS, PALETTE, SOURCE, WINDOW, Panel, figure
from cnnbook.explorers import _core as core
from cnnbook.explorers import _expected
from cnnbook.explorers._core import Check

# The 4 × 4 input of the notebooks' worked example, and one with ties (as after a ReLU).
EXAMPLE = np.array([[1, 3, 2, 0], [4, 6, 5, 1], [7, 2, 0, 3], [1, 8, 4, 2]])
TIES = np.array([[0, 0, 2, 2, 1], [0, 0, 1, 2, 0], [3, 1, 0, 0, 3], [1, 3, 0, 0, 3], [2, 0, 1, 2, 2]])
MAX_SIDE = 8
MAX_MINIATURES = 36
# The "random matrix" button cycles through this many matrices, whose views are stored.
RANDOM_MATRICES = 20


def parse_matrix(text: str) -> tuple[np.ndarray | None, str]:
    """Rows separated by ";" or new lines (or written [[1, 2], [3, 4]]), numbers by spaces or
    commas; or (None, why not)."""
    text = re.sub(r"\]\s*,?\s*\[", ";", text)  # [[1, 2], [3, 4]] as Python writes it
    rows = [r for r in re.split(r"[;\n]+", text.replace("[", "").replace("]", "")) if r.strip()]
    try:
        values = [[float(v) for v in re.split(r"[,\s]+", r.strip()) if v] for r in rows]
    except ValueError as err:
        return None, f"could not read the matrix: {str(err).split(': ')[-1]} is not a number."
    if not values or any(not r for r in values):
        return None, "type some numbers: rows separated by ';', values by spaces."
    if len({len(r) for r in values}) > 1:
        return None, f"the rows have different lengths ({', '.join(str(len(r)) for r in values)})."
    x = np.array(values)
    if max(x.shape) > MAX_SIDE:
        return None, f"at most {MAX_SIDE} rows and {MAX_SIDE} columns, please."
    if not np.all(np.isfinite(x)):
        return None, "only finite numbers, please."
    return x, ""


def matrix_text(x: np.ndarray) -> str:
    return "; ".join(" ".join(core.fmt(v) for v in row) for row in x)


def random_matrix(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    side = int(rng.integers(4, 7))
    return rng.integers(0, 10, size=(side, side))


def _receivers(window: np.ndarray, mode: str, first_only: bool) -> list[tuple[int, int]]:
    if mode == "average":
        return [(r, c) for r in range(window.shape[0]) for c in range(window.shape[1])]
    tops = [tuple(int(i) for i in rc) for rc in np.argwhere(window == window.max())]
    return tops[:1] if first_only else tops


@dataclass
class PoolState:
    x: np.ndarray
    f: int
    stride: int
    mode: str
    row: int
    col: int
    out_shape: tuple[int, int]
    formula: str
    note: str = ""
    error: str = ""
    a: np.ndarray | None = None
    da: np.ndarray | None = None
    dprev: np.ndarray | None = None
    sent: dict = field(default_factory=dict)
    maxima: dict = field(default_factory=dict)  # window (h, w) -> its maxima, as input cells
    ties: list[tuple[int, int]] = field(default_factory=list)
    unreached_rows: list[int] = field(default_factory=list)
    unreached_cols: list[int] = field(default_factory=list)
    window_text: str = ""
    tie_text: str = ""
    overlap_text: str = ""
    forward: Check = field(default_factory=lambda: Check("pool_forward"))
    backward: Check = field(default_factory=lambda: Check("pool_backward"))

    @property
    def window(self) -> tuple[int, int]:
        return self.row * self.stride, self.col * self.stride

    @property
    def window_cells(self) -> set[tuple[int, int]]:
        if self.a is None:
            return set()
        r0, c0 = self.window
        return {(r, c) for r in range(r0, r0 + self.f) for c in range(c0, c0 + self.f)}

    def local(self) -> np.ndarray:
        """What the selected window sends back to each of its cells."""
        r0, c0 = self.window
        grid = np.zeros((self.f, self.f))
        for (r, c), items in self.sent.items():
            for h, v, amount in items:
                if (h, v) == (self.row, self.col):
                    grid[r - r0, c - c0] = amount
        return grid


def pool_state(x: np.ndarray = EXAMPLE, f: int = 2, stride: int = 2, mode: str = "max",
               row: int = 0, col: int = 0, pool_forward=None, pool_backward=None) -> PoolState:
    """Everything the pooling explorer shows, without drawing it. The output gradient dA is
    1, 2, 3, ... in reading order, so that each number can be followed back."""
    x = np.asarray(x, dtype=float)
    n_h, n_w = (core.out_size(x.shape[0], f, 0, stride), core.out_size(x.shape[1], f, 0, stride))
    fh, nh = core.size_formula(x.shape[0], f, 0, stride, "n_H", "n_H_prev", False, "rows")
    fw, nw = core.size_formula(x.shape[1], f, 0, stride, "n_W", "n_W_prev", False, "cols")
    if x.shape[0] == x.shape[1]:
        _, note = core.size_formula(x.shape[0], f, 0, stride, with_pad=False)
    else:
        note = " ".join(t for t in (nh, nw) if t)
    state = PoolState(x, f, stride, mode, row, col, (n_h, n_w), fh + "\n" + fw, note)
    if n_h == 0 or n_w == 0:
        state.error = (f"f = {f} is larger than the matrix ({x.shape[0]} × {x.shape[1]}): no "
                       "window fits. Make f smaller or the matrix larger.")
        state.row = state.col = 0
        return state
    state.row, state.col = min(max(row, 0), n_h - 1), min(max(col, 0), n_w - 1)
    state.unreached_rows = core.unreached(x.shape[0], f, stride, n_h)
    state.unreached_cols = core.unreached(x.shape[1], f, stride, n_w)
    state.da = np.arange(1, n_h * n_w + 1, dtype=float).reshape(n_h, n_w)
    forward = _expected.get("pool_forward", x, f, stride, mode)
    routes = _expected.get("pool_routes", x, state.da, f, stride, mode, False)
    first = _expected.get("pool_routes", x, state.da, f, stride, mode, True) if mode == "max" else None
    if forward is None or routes is None:
        forward, routes, why = _from_learner(x, state.da, f, stride, mode, pool_forward, pool_backward)
        if why:
            state.error = why
            state.da = None
            return state
        first = None  # the learner's own convention is the expected one here
    state.a = forward[0]
    state.dprev, state.sent = routes[0].sum(axis=(0, 1)), _expected.sent_from(routes[0])
    for h in range(n_h):
        for v in range(n_w):
            win = x[h * stride:h * stride + f, v * stride:v * stride + f]
            tops = [(h * stride + r, v * stride + c) for r, c in _receivers(win, "max", False)]
            state.maxima[(h, v)] = tops
            if mode == "max" and len(tops) > 1:
                state.ties.append((h, v))
    _explain(state)

    hp = {"f": f, "stride": stride}
    a_prev = x[None, :, :, None]
    state.forward = core.check(
        "pool_forward", pool_forward, (a_prev, hp, mode),
        lambda r: core.as_array(_first(r), (1, n_h, n_w, 1), "A")[0, :, :, 0], state.a,
        f"{mode}-pooled output A")
    alternatives = {}
    if mode == "max" and state.ties and first is not None:
        alternatives["At a tie it sends the gradient to the first maximum only, as argmax does: "
                     "that is right too."] = first[0].sum(axis=(0, 1))
    state.backward = core.check(
        "pool_backward", pool_backward, (state.da[None, :, :, None], (a_prev, hp), mode),
        lambda r: core.as_array(r, a_prev.shape, "dA_prev")[0, :, :, 0], state.dprev,
        "gradient dA_prev", alternatives)
    return state


def _from_learner(x, da, f, stride, mode, pool_forward, pool_backward):
    """The views of a matrix that nothing stored covers (one typed in), from the learner's own
    pool_forward and pool_backward once they pass their checks: (forward, routes, "") or
    (None, None, why they cannot be shown)."""
    why = ("The expected views of a matrix of your own come from your pool_forward and "
           "pool_backward once they pass their checks (the example, the matrix with ties and the "
           "random matrices have theirs stored)")
    if not (core.passes("pool_forward", pool_forward) and core.passes("pool_backward", pool_backward)):
        return None, None, why + ": pass them to the explorer, or use those matrices."
    hp = {"f": f, "stride": stride}
    a_prev = x[None, :, :, None]
    result, message = core.attempt("pool_forward", pool_forward, a_prev, hp, mode)
    try:
        if message:
            raise core.Unusable(message)
        forward = core.as_array(_first(result), (1,) + da.shape + (1,), "A")[0, :, :, 0]
        routes = np.zeros(da.shape + x.shape)
        for h, v in np.ndindex(*da.shape):
            one = np.zeros(da.shape)
            one[h, v] = da[h, v]
            got, message = core.attempt("pool_backward", pool_backward, one[None, :, :, None],
                                        (a_prev, hp), mode)
            if message:
                raise core.Unusable(message)
            routes[h, v] = core.as_array(got, a_prev.shape, "dA_prev")[0, :, :, 0]
    except core.Unusable as err:
        return None, None, f"{why}; here they could not: {err}"
    return (forward,), (routes,), ""


def _first(result):
    if isinstance(result, tuple) and len(result) == 2:
        return result[0]
    raise core.Unusable(f"it returned a {type(result).__name__}; expected the pair (A, cache)")


def _cells(cells) -> str:
    return ", ".join(f"({r}, {c})" for r, c in cells)


def _explain(s: PoolState) -> None:
    h, v = s.row, s.col
    r0, c0 = s.window
    win = s.x[r0:r0 + s.f, c0:c0 + s.f]
    where = (f"Window ({h}, {v}) covers rows {r0}…{r0 + s.f - 1} and columns {c0}…{c0 + s.f - 1} "
             "of A_prev.")
    if s.mode == "max":
        tops = s.maxima[(h, v)]
        s.window_text = (f"{where} Its maximum is {core.fmt(win.max())}, at {_cells(tops)}: "
                         f"A[{h}, {v}] = {core.fmt(win.max())}. Backward, the mask is 1 there and 0 "
                         f"elsewhere, so dA[{h}, {v}] = {core.fmt(s.da[h, v])} goes to "
                         f"{_cells(tops)} and the other cells of the window get nothing from it.")
        if s.ties:
            here = (f"This window has a tie: {core.fmt(win.max())} appears {len(tops)} times. "
                    if (h, v) in s.ties else
                    f"Windows {_cells(s.ties)} have ties (more than one maximum). ")
            s.tie_text = (here + "x == max(x), the course's mask, gives the full gradient to every "
                          "tied cell (pictured); code that uses argmax, such as PyTorch, gives it to "
                          "the first one only. The maximum has no single slope at a tie, so both are "
                          "valid gradients, and both pass the checks.")
    else:
        n = s.f * s.f
        s.window_text = (f"{where} Its mean is ({' + '.join(core.fmt(t) for t in win.ravel())}) / "
                         f"{n} = {core.fmt(win.mean())}. Backward, dA[{h}, {v}] = "
                         f"{core.fmt(s.da[h, v])} is shared equally: {core.fmt(s.da[h, v])} / {n} = "
                         f"{core.fmt(s.da[h, v] / n)} to each of its {n} cells.")
    shared = sorted((cell for cell, items in s.sent.items() if len(items) > 1),
                    key=lambda cell: (cell not in s.window_cells, cell))
    if shared:
        examples = []
        for cell in shared[:3]:
            items = s.sent[cell]
            examples.append(f"dA_prev[{cell[0]}, {cell[1]}] = "
                            + " + ".join(core.fmt(a) for _, _, a in items)
                            + f" = {core.fmt(sum(a for _, _, a in items))} (from windows "
                            + _cells((hh, vv) for hh, vv, _ in items) + ")")
        why = (f"With stride {s.stride} < f = {s.f} the windows overlap, and"
               if s.stride < s.f else "")
        s.overlap_text = (f"{why or 'Here'} a cell of A_prev that receives from several windows adds "
                          "up what each sends (+=): " + "; ".join(examples) + ".")


# Drawing ------------------------------------------------------------------------------

def _window_colours(s: PoolState) -> tuple[dict, dict]:
    """Each window's cells and its output in a colour of its own (for windows that do not
    overlap, as in the static figures)."""
    inputs, outputs = {}, {}
    n_h, n_w = s.out_shape
    for k, (h, v) in enumerate((h, v) for h in range(n_h) for v in range(n_w)):
        colour = PALETTE[k % len(PALETTE)]
        outputs[(h, v)] = colour
        inputs.update({(h * s.stride + r, v * s.stride + c): colour
                       for r in range(s.f) for c in range(s.f)})
    return inputs, outputs


def forward_panels(s: PoolState, learner: bool = True,
                   overview: bool = False) -> tuple[list[Panel], list[str]]:
    """A_prev with its windows, and the pooled output. The explorer highlights the selected
    window; ``overview`` colours every window and its output alike instead."""
    rows, cols = s.x.shape
    hatch = {(r, c) for r in range(rows) for c in range(cols)
             if r in s.unreached_rows or c in s.unreached_cols}
    if s.a is None:
        return [Panel(s.x, f"A_prev: {rows} × {cols}", hatch=hatch, axes=True)], []
    here = (s.row, s.col)
    fills = {cell: WINDOW for cell in s.window_cells}
    bold = set()
    if s.mode == "max":
        bold = {cell for tops in s.maxima.values() for cell in tops}
        fills.update({cell: SOURCE for cell in s.maxima[here]})
    n_h, n_w = s.out_shape
    if overview:
        inputs, outputs = _window_colours(s)
        return [Panel(s.x, f"A_prev: {rows} × {cols}", fills=inputs, bold=bold, axes=True),
                Panel(s.a, f"A: {n_h} × {n_w}", fills=outputs, fmt="{:.3g}", axes=True)], \
            [f"{s.mode}, f = {s.f}, stride {s.stride}"]
    x_panel = Panel(s.x, f"A_prev: {rows} × {cols}", fills=fills, bold=bold, hatch=hatch,
                    boxes=[(*s.window, s.f, s.f, EMPHASIS)], axes=True)
    out = [x_panel, Panel(s.a, f"A: {n_h} × {n_w}", fills={here: WINDOW},
                          boxes=[(*here, 1, 1, EMPHASIS)], fmt="{:.3g}", axes=True)]
    arrows = [f"{s.mode}, f = {s.f}, stride {s.stride}"]
    if learner and s.forward.value is not None:
        out.append(Panel(s.forward.value, "your pool_forward", fills={here: WINDOW},
                         diffs=s.forward.diffs, fmt="{:.3g}", axes=True))
        arrows.append(None)
    return out, arrows


def backward_panels(s: PoolState, learner: bool = True,
                    overview: bool = False) -> tuple[list[Panel], list[str]]:
    """dA, what the selected window sends back, and dA_prev. ``overview`` shows every window
    at once instead: dA, A_prev (maxima in bold) and dA_prev, each window in its colour."""
    here = (s.row, s.col)
    n = s.f * s.f
    if overview:
        inputs, outputs = _window_colours(s)
        bold = {cell for tops in s.maxima.values() for cell in tops} if s.mode == "max" else set()
        return [Panel(s.da, f"dA: {s.da.shape[0]} × {s.da.shape[1]}", fills=outputs, axes=True),
                Panel(s.x, "A_prev", fills=inputs, bold=bold, axes=True),
                Panel(s.dprev, "dA_prev", fills=inputs, bold=bold, fmt="{:.3g}", axes=True)], \
            ["", "mask" if s.mode == "max" else f"÷ {n}"]
    r0, c0 = s.window
    local = s.local()
    receives = {(r, c): SOURCE for r in range(s.f) for c in range(s.f) if local[r, c]}
    targets = {(r0 + r, c0 + c): SOURCE for (r, c) in receives}
    tips = {cell: " + ".join(f"{core.fmt(a)} from window ({h}, {v})" for h, v, a in items)
            for cell, items in s.sent.items()}
    several = {cell for cell, items in s.sent.items() if len(items) > 1}
    out = [Panel(s.da, f"dA: {s.da.shape[0]} × {s.da.shape[1]}", fills={here: WINDOW},
                 boxes=[(*here, 1, 1, EMPHASIS)], axes=True),
           Panel(local, f"window ({s.row}, {s.col}) sends", fills=receives, fmt="{:.3g}"),
           Panel(s.dprev, "dA_prev", fills=targets, boxes=[(r0, c0, s.f, s.f, EMPHASIS)],
                 bold=several, tips=tips, fmt="{:.3g}", axes=True)]
    arrows = ["mask × dA" if s.mode == "max" else f"dA ÷ {n}", "+= into its window"]
    if learner and s.backward.value is not None:
        out.append(Panel(s.backward.value, "your pool_backward",
                         boxes=[(r0, c0, s.f, s.f, EMPHASIS)], diffs=s.backward.diffs,
                         fmt="{:.3g}", axes=True))
        arrows.append(None)
    return out, arrows


def miniatures(s: PoolState) -> str:
    """What every window sends back: its mask times its gradient, or its equal shares."""
    if s.a is None:
        return ""
    n_h, n_w = s.out_shape
    if n_h * n_w > MAX_MINIATURES:
        return core.paragraph(f"{n_h * n_w} windows: too many to draw one by one; the selected "
                              "window is drawn above.")
    pieces = []
    for h in range(n_h):
        for v in range(n_w):
            r0, c0 = h * s.stride, v * s.stride
            grid = np.full((s.f, s.f), np.nan)
            fills = {}
            for (r, c), items in s.sent.items():
                for hh, vv, amount in items:
                    if (hh, vv) == (h, v):
                        grid[r - r0, c - c0] = amount
                        fills[(r - r0, c - c0)] = SOURCE
            tie = " tie" if (h, v) in s.ties else ""
            title = f"({h}, {v}){tie}"
            boxes = [(0, 0, s.f, s.f, EMPHASIS)] if (h, v) == (s.row, s.col) else []
            panel = Panel(grid, title, fills=fills, boxes=boxes, fmt="{:.2g}", cell=20)
            pieces.append("<div style='display:inline-block'>" + core.svg(figure([panel])) + "</div>")
    what = ("the mask of every window times its gradient (blank: gets nothing)" if s.mode == "max"
            else "every window's equal shares of its gradient")
    return (core.paragraph(f"Backward, window by window: {what}.")
            + "<div class='cnnbook-miniatures' style='display:flex;flex-wrap:wrap;gap:2px'>"
            + "".join(pieces) + "</div>")


def render(s: PoolState, input_error: str = "") -> str:
    parts = []
    if input_error:
        parts.append(core.message("error", input_error + " Showing the last matrix that could be read."))
    if s.error:
        parts.append(core.message("error", s.error))
    parts.append(core.svg(figure(*forward_panels(s))))
    parts.extend(core.message(k, t) for k, t in core.check_lines(s.forward, "pooled output A"))
    parts.append(core.formula(s.formula))
    if s.note:
        parts.append(core.paragraph(s.note))
    if s.a is not None:
        parts.append(core.paragraph(s.window_text))
        if s.tie_text:
            parts.append(core.message("info", s.tie_text))
        parts.append(core.svg(figure(*backward_panels(s))))
        notes = ["bold in A_prev: a window's maximum"] if s.mode == "max" else []
        if any(len(items) > 1 for items in s.sent.values()):
            notes.append("bold in dA_prev: gets gradient from several windows (hover for the sum)")
        parts.append(core.legend("window", (SOURCE, "the maxima / where the gradient goes"),
                                 hatch=bool(s.unreached_rows or s.unreached_cols),
                                 diff=bool(s.forward.diffs or s.backward.diffs), notes=tuple(notes)))
        if s.overlap_text:
            parts.append(core.paragraph(s.overlap_text))
        parts.extend(core.message(k, t) for k, t in core.check_lines(s.backward, "gradient dA_prev"))
        parts.append(miniatures(s))
    if s.forward.status == "absent" and s.backward.status == "absent":
        parts.append(core.expected_only("explore_pooling(pool_forward=pool_forward, "
                                        "pool_backward=pool_backward)", "functions"))
    return core.page(*parts)


def explore_pooling(pool_forward=None, pool_backward=None):
    """Pool a small matrix (type one in, or draw a random one): the windows, the mask of every
    window, and where each output's gradient goes back to.

    With your ``pool_forward`` and ``pool_backward`` the explorer shows your results beside
    the expected ones and frames every value that differs.
    """
    w = core._widgets()
    text = w.Text(value=matrix_text(EXAMPLE), description="matrix",
                  style={"description_width": "initial"}, layout=w.Layout(width="440px"),
                  continuous_update=False)
    shuffle = w.Button(description="random matrix", layout=w.Layout(width="auto"))
    ties = w.Button(description="matrix with ties", layout=w.Layout(width="auto"))
    controls = {"matrix": text, "random": shuffle, "ties": ties,
                "mode": core.toggle("mode", ["max", "average"], "max"),
                "f": core.slider("f", 2, 1, 4), "stride": core.slider("stride", 2, 1, 3),
                "row": core.slider("output row", 0, 0, 3), "col": core.slider("output col", 0, 0, 3)}
    last = {"x": EXAMPLE, "seed": 0}

    def draw(c):
        x, problem = parse_matrix(c["matrix"].value)
        if x is None:
            x = last["x"]
        last["x"] = x
        state = pool_state(x, c["f"].value, c["stride"].value, c["mode"].value,
                           c["row"].value, c["col"].value, pool_forward, pool_backward)
        core.fit_slider(c["row"], state.out_shape[0] - 1)
        core.fit_slider(c["col"], state.out_shape[1] - 1)
        return render(state, problem)

    def new_matrix(button):
        last["seed"] = last["seed"] % RANDOM_MATRICES + 1
        text.value = matrix_text(random_matrix(last["seed"]) if button is shuffle else TIES)

    shuffle.on_click(new_matrix)
    ties.on_click(new_matrix)
    return core.make_explorer("pooling", controls,
                              [["matrix", "random", "ties"], ["mode", "f", "stride"],
                               ["row", "col"]], draw)

"""Convolution explorer: the window on the padded input, one step of convolution, the output
size formula, and the rows and columns the window never reaches."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cnnbook.drawing import EMPHASIS, PAD_FILL, WINDOW, Panel, figure
from cnnbook.explorers import _core as core
from cnnbook.explorers import _expected
from cnnbook.explorers._core import Check

# Small whole numbers, so that one step of convolution can be followed by mental arithmetic.
X_BIG = np.random.default_rng(7).integers(0, 10, size=(7, 7))
W_BIG = np.random.default_rng(3).integers(-1, 3, size=(5, 5))
BIAS = 1


@dataclass
class ConvState:
    n: int
    f: int
    pad: int
    stride: int
    row: int
    col: int
    x: np.ndarray
    w: np.ndarray
    b: float
    padded: np.ndarray
    n_out: int
    formula: str
    note: str                        # the floor (or the stride's gaps) explained, or ""
    error: str = ""                  # impossible settings
    unreached: list[int] = field(default_factory=list)  # padded rows (and columns) never reached
    z: np.ndarray | None = None
    window: tuple[int, int] | None = None  # top-left corner in the padded input
    step: str = ""                   # the numbers of the single step
    value: float = 0.0
    forward: Check = field(default_factory=lambda: Check("conv_forward"))
    single: tuple[str, str] | None = None  # (kind, text) about the learner's conv_single_step

    @property
    def window_cells(self) -> set[tuple[int, int]]:
        if self.window is None:
            return set()
        r0, c0 = self.window
        return {(r, c) for r in range(r0, r0 + self.f) for c in range(c0, c0 + self.f)}

    @property
    def border(self) -> set[tuple[int, int]]:
        total, p = self.padded.shape[0], self.pad
        return {(r, c) for r in range(total) for c in range(total)
                if min(r, c) < p or max(r, c) >= total - p}


def conv_state(n: int = 5, f: int = 3, pad: int = 1, stride: int = 1, row: int = 0, col: int = 0,
               conv_forward=None, conv_single_step=None, x: np.ndarray | None = None,
               w: np.ndarray | None = None, b: float = BIAS) -> ConvState:
    """Everything the convolution explorer shows for these settings, without drawing it.

    The output position is clamped into the output; ``x`` and ``w`` default to slices of
    fixed grids of small whole numbers.
    """
    x = X_BIG[:n, :n] if x is None else np.asarray(x)
    w = W_BIG[:f, :f] if w is None else np.asarray(w)
    n, f = x.shape[0], w.shape[0]
    padded = np.pad(x, pad)
    total = n + 2 * pad
    n_out = core.out_size(n, f, pad, stride)
    text, note = core.size_formula(n, f, pad, stride)
    state = ConvState(n, f, pad, stride, row, col, x, w, b, padded, n_out, text, note)
    if n_out == 0:
        state.error = (f"f = {f} is larger than the padded input ({n} + 2·{pad} = {total}): the "
                       f"window fits nowhere, so there is no output. Make f smaller or pad larger.")
        state.row = state.col = 0
        return state
    state.row, state.col = min(max(row, 0), n_out - 1), min(max(col, 0), n_out - 1)
    state.unreached = core.unreached(total, f, stride, n_out)
    found = _expected.get("conv_forward", padded, w, b, stride)
    if found is None:
        state.error = "the expected output of this setting is not stored: it cannot be shown."
        return state
    state.z = found[0]
    r0, c0 = state.row * stride, state.col * stride
    state.window = (r0, c0)
    piece = padded[r0:r0 + f, c0:c0 + f]
    total_sum = float(np.sum(piece * w))
    state.value = total_sum + b
    if f * f <= 9:
        products = " + ".join(f"{core.fmt(a)}·{_paren(v)}" for a, v in zip(piece.ravel(), w.ravel()))
    else:
        products = f"(the sum of {f * f} products) {core.fmt(total_sum)}"
    state.step = (f"Z[{state.row}, {state.col}] = sum(window × W) + b = {products} + {core.fmt(b)} "
                  f"= {core.fmt(state.value)}\n(the window: rows {r0}…{r0 + f - 1}, columns "
                  f"{c0}…{c0 + f - 1} of the padded input; vert_start = {state.row}·{stride} = {r0}, "
                  f"horiz_start = {state.col}·{stride} = {c0})")
    hp = {"stride": stride, "pad": pad}
    state.forward = core.check(
        "conv_forward", conv_forward,
        (x[None, :, :, None].astype(float), w[:, :, None, None].astype(float),
         np.full((1, 1, 1, 1), float(b)), hp),
        lambda r: core.as_array(_first(r), (1, n_out, n_out, 1), "Z")[0, :, :, 0],
        state.z, "output Z")
    if conv_single_step is not None:
        state.single = _single(conv_single_step, piece, w, b, total_sum)
    return state


def _paren(v) -> str:
    return f"({core.fmt(v)})" if v < 0 else core.fmt(v)


def _first(result):
    """Z from conv_forward's (Z, cache)."""
    if isinstance(result, tuple):
        if len(result) != 2:
            raise core.Unusable(f"it returned a tuple of {len(result)} items; expected (Z, cache)")
        return result[0]
    raise core.Unusable(f"it returned a {type(result).__name__}; expected the pair (Z, cache)")


def _single(fn, piece, w, b, total_sum) -> tuple[str, str]:
    expected = total_sum + b
    result, message = core.attempt("conv_single_step", fn, piece[:, :, None].astype(float),
                                   w[:, :, None].astype(float), np.full((1, 1, 1), float(b)))
    if message:
        return "error", message
    try:
        got = np.asarray(result, dtype=float)
    except (TypeError, ValueError):
        return "error", f"conv_single_step returned {type(result).__name__}, not a number."
    if got.size != 1:
        return "error", f"conv_single_step returned an array of shape {got.shape}; expected a number."
    value = float(got.ravel()[0])
    shape_note = (f" It returns an array of shape {got.shape}, not a plain number: b.item() gives "
                  "the number." if got.shape != () else "")
    if np.isclose(value, expected):
        return core.gate("ok", f"your conv_single_step gives {core.fmt(value)} for this window, as "
                         f"expected.{shape_note}", "conv_single_step",
                         core.check_failure("conv_single_step", fn))
    hint = ""
    if np.isclose(value, total_sum + b * piece.size):
        hint = f" It looks like b was added to each of the {piece.size} products: add it once, after the sum."
    elif np.isclose(value, total_sum):
        hint = " The bias b is missing."
    return "bad", (f"your conv_single_step gives {core.fmt(value)} for this window; expected "
                   f"{core.fmt(expected)}.{hint}{shape_note}")


# Drawing ------------------------------------------------------------------------------

def panels(state: ConvState, learner: bool = True) -> tuple[list[Panel], list[str]]:
    """The padded input with the window, the filter, the output and, if given, the learner's."""
    total = state.padded.shape[0]
    fills = {cell: PAD_FILL for cell in state.border}
    fills.update({cell: WINDOW for cell in state.window_cells})
    hatch = {(r, c) for r in range(total) for c in range(total)
             if r in state.unreached or c in state.unreached}
    title = (f"A_prev padded: {total} × {total}" if state.pad else f"A_prev: {total} × {total}")
    boxes = [(*state.window, state.f, state.f, EMPHASIS)] if state.window else []
    out = [Panel(state.padded, title, fills=fills, boxes=boxes, hatch=hatch, axes=True),
           Panel(state.w, f"W: {state.f} × {state.f}",
                 fills={(r, c): WINDOW for r in range(state.f) for c in range(state.f)}, axes=True)]
    if state.z is None:
        return out, [None]
    here = (state.row, state.col)
    out.append(Panel(state.z, f"Z: {state.n_out} × {state.n_out}", fills={here: WINDOW},
                     boxes=[(*here, 1, 1, EMPHASIS)], bold={here}, axes=True))
    arrows = ["× (each cell)", f"sum + b = {core.fmt(state.value)}"]
    if learner and state.forward.value is not None:
        out.append(Panel(state.forward.value, "your conv_forward", fills={here: WINDOW},
                         boxes=[(*here, 1, 1, EMPHASIS)], diffs=state.forward.diffs, axes=True))
        arrows.append(None)
    return out, arrows


def render(state: ConvState) -> str:
    parts = []
    if state.error:
        parts.append(core.message("error", state.error))
    parts.append(core.svg(figure(*panels(state))))
    parts.append(core.legend("window", *(["pad"] if state.pad else []), hatch=bool(state.unreached),
                             diff=bool(state.forward.diffs)))
    parts.append(core.formula(state.formula))
    if state.note:
        parts.append(core.paragraph(state.note))
    if state.step:
        parts.append(core.formula(state.step))
    if state.single:
        parts.append(core.message(*state.single))
    parts.extend(core.message(k, t) for k, t in core.check_lines(state.forward, "output Z"))
    if state.forward.status == "absent" and not state.error:
        parts.append(core.expected_only("explore_convolution(conv_forward=conv_forward)"))
    return core.page(*parts)


def explore_convolution(conv_forward=None, conv_single_step=None):
    """Move the window over the padded input: one step of convolution and the output size.

    With your ``conv_forward`` (and ``conv_single_step``) the explorer shows your output
    beside the expected one and frames every value that differs.
    """
    controls = {"n": core.slider("input n", 5, 2, 7), "f": core.slider("f", 3, 1, 5),
                "pad": core.slider("pad", 1, 0, 3), "stride": core.slider("stride", 1, 1, 3),
                "row": core.slider("output row", 0, 0, 4), "col": core.slider("output col", 0, 0, 4)}

    def draw(c):
        state = conv_state(c["n"].value, c["f"].value, c["pad"].value, c["stride"].value,
                           c["row"].value, c["col"].value, conv_forward, conv_single_step)
        for name in ("row", "col"):
            core.fit_slider(c[name], state.n_out - 1)
        return render(state)

    return core.make_explorer("convolution", controls,
                              [["n", "f", "pad", "stride"], ["row", "col"]], draw)

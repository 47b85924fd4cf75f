"""Convolution arithmetic (Assignments 1 and 2): the output size of a convolution, and its
backward pass to the input drawn as a transposed convolution: dZ spread out by the stride,
bordered with f − 1 zeros, and slid over by the same W turned by 180°.

The numbers are those of the convolution explorer: small whole numbers for W, and
dZ = 1, 2, 3, ... in reading order, so that each one can be followed back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cnnbook.drawing import EMPHASIS, PAD_FILL, PALETTE, SOURCE, WINDOW, Panel, figure
from cnnbook.explorers import _core as core
from cnnbook.explorers import _expected
from cnnbook.explorers._core import Check
from cnnbook.explorers.convolution import BIAS, W_BIG, X_BIG

# What the controls allow (the stored views cover exactly these).
N_RANGE, F_RANGE, STRIDE_RANGE, PAD_RANGE = range(3, 8), range(1, 5), range(1, 4), range(0, 3)
INSERTED = PALETTE[4]  # light purple: the zeros the stride puts between the values of dZ

DILATION = ("Not used in any exercise: a dilated convolution (dilation d) spreads the filter's taps "
            "d pixels apart, so the filter spans d·(f − 1) + 1 pixels, and n_out = ⌊(n + 2·pad − "
            "d·(f − 1) − 1) / stride⌋ + 1; with d = 1 this is the formula above.")


@dataclass
class ArithmeticState:
    n: int
    f: int
    stride: int
    pad: int
    row: int                         # the chosen cell of dA_prev padded
    col: int
    w: np.ndarray                    # (f, f)
    n_out: int
    formula: str
    note: str
    error: str = ""
    dz: np.ndarray | None = None     # (n_out, n_out): 1, 2, 3, ...
    rest: int = 0                    # rows (and columns) the floor drops at the end
    grid: np.ndarray | None = None   # dZ spread by the stride, bordered: (n + 2·pad + f − 1)²
    inserted: set[tuple[int, int]] = field(default_factory=set)  # zeros between values of dZ
    border: set[tuple[int, int]] = field(default_factory=set)    # the bordering zeros
    turned: np.ndarray | None = None  # W turned by 180°
    dpad: np.ndarray | None = None   # expected gradient on the padded input (n + 2·pad)²
    dprev: np.ndarray | None = None  # expected dA_prev (n, n)
    size_text: str = ""
    step: str = ""
    learner: Check = field(default_factory=lambda: Check("conv_backward"))


def arithmetic_state(n: int = 5, f: int = 3, stride: int = 2, pad: int = 1, row: int = 0,
                     col: int = 0, conv_backward=None, Convolution=None) -> ArithmeticState:
    """Everything the arithmetic explorer shows for these settings, without drawing it."""
    w = W_BIG[:f, :f].astype(float)
    n_out = core.out_size(n, f, pad, stride)
    text, note = core.size_formula(n, f, pad, stride, out="n_out", inp="n")
    s = ArithmeticState(n, f, stride, pad, row, col, w, n_out, text, note)
    total = n + 2 * pad
    if n_out == 0:
        s.error = (f"f = {f} is larger than the padded input ({n} + 2·{pad} = {total}): no window "
                   "fits, so there is no output and nothing flows back. Make f smaller or pad larger.")
        return s
    s.row, s.col = min(max(row, 0), total - 1), min(max(col, 0), total - 1)
    s.dz = np.arange(1, n_out * n_out + 1, dtype=float).reshape(n_out, n_out)
    s.rest = (total - f) - (n_out - 1) * stride
    spread = (n_out - 1) * stride + 1
    size = spread + 2 * (f - 1) + s.rest
    s.grid = np.zeros((size, size))
    s.grid[f - 1:f - 1 + spread:stride, f - 1:f - 1 + spread:stride] = s.dz
    inside = range(f - 1, f - 1 + spread)
    s.border = {(r, c) for r in range(size) for c in range(size) if r not in inside or c not in inside}
    s.inserted = {(r, c) for r in inside for c in inside
                  if (r - f + 1) % stride or (c - f + 1) % stride}
    s.turned = w[::-1, ::-1]
    found = _expected.get("conv_forward", s.grid, s.turned, 0, 1)
    if found is None:
        s.error = "the expected gradient of this setting is not stored: it cannot be shown."
        return s
    s.dpad = found[0]
    s.dprev = s.dpad[pad:pad + n, pad:pad + n]
    s.size_text = (f"dZ spread by the stride: ({n_out} − 1)·{stride} + 1 = {spread}; bordered with "
                   f"f − 1 = {f - 1} zeros on each side"
                   + (f", and {s.rest} more at the end for the {_rows(s.rest)} the floor dropped"
                      if s.rest else "")
                   + f": {size} × {size}. Sliding the {f} × {f} filter over it with stride 1 gives "
                   f"{size} − {f} + 1 = {total} = n + 2·pad rows: the padded input's shape. "
                   f"Cropping the padding gives dA_prev, {n} × {n}.")
    terms = []
    for a in range(f):
        for b in range(f):
            r, c = s.row + a, s.col + b
            if (r, c) in s.border or (r, c) in s.inserted:
                continue
            h, v = (r - f + 1) // stride, (c - f + 1) // stride
            terms.append(f"dZ[{h}, {v}]·W[{f - 1 - a}, {f - 1 - b}]")
    lhs = f"dA_padded[{s.row}, {s.col}]"
    s.step = (f"{lhs} = sum(window × W turned) = "
              + (" + ".join(terms) + f" = {core.fmt(s.dpad[s.row, s.col])}" if terms
                 else "0: the window meets only zeros (no output's window covered this cell)")
              + ("\nThe same sum as the loops of conv_backward: every output whose window covered "
                 "this cell sends back dZ times the weight that met it." if terms else ""))
    if pad and (min(s.row, s.col) < pad or max(s.row, s.col) >= pad + n):
        s.step += "\nThis cell is padding: its gradient is computed, then cropped away."
    else:
        s.step += f"\nIt is dA_prev[{s.row - pad}, {s.col - pad}] once the padding is cropped."
    s.learner = _learner(s, conv_backward, Convolution)
    return s


def _rows(k: int) -> str:
    return "row and column" if k == 1 else "rows and columns"


def _learner(s: ArithmeticState, conv_backward, Convolution) -> Check:
    """The learner's gradient on the input: conv_backward (Assignment 1, channels-last) or
    Convolution.backward (Assignment 2, channels-first)."""
    x = X_BIG[:s.n, :s.n].astype(float)
    if Convolution is not None:
        def backward(layer_class, x, w, dz):
            layer = layer_class(w[None, None], np.full(1, float(BIAS)), s.stride, s.pad)
            layer.forward(x[None, None])
            return layer.backward(dz[None, None])

        result, message = core.attempt("Convolution", backward, Convolution, x, s.w, s.dz)
        for method in ("forward", "backward"):  # a method of the class, not a helper, is missing
            message = message.replace(f"Convolution calls {method}, which is",
                                      f"Convolution.{method} is")
        if message:
            return Check("Convolution.backward", True, message=message)
        found = core.compare("Convolution.backward", result, lambda r: core.as_array(
            r, (1, 1, s.n, s.n), "dx")[0, 0], s.dprev, "dx")
        found.failure = core.check_failure("Convolution", Convolution)
        return found
    if conv_backward is None:
        return Check("conv_backward")
    hp = {"stride": s.stride, "pad": s.pad}
    cache = (x[None, :, :, None], s.w[:, :, None, None], np.full((1, 1, 1, 1), float(BIAS)), hp)

    def first(result):
        if not (isinstance(result, tuple) and len(result) == 3):
            raise core.Unusable(f"it returned a {type(result).__name__}; expected (dA_prev, dW, db)")
        return core.as_array(result[0], (1, s.n, s.n, 1), "dA_prev")[0, :, :, 0]

    return core.check("conv_backward", conv_backward, (s.dz[None, :, :, None], cache), first,
                      s.dprev, "dA_prev")


# Drawing ------------------------------------------------------------------------------

def panels(s: ArithmeticState) -> tuple[list[Panel], list]:
    """dZ spread and bordered with the window, W turned, dA_padded, dA_prev and the learner's."""
    f, total = s.f, s.n + 2 * s.pad
    fills = {cell: PAD_FILL for cell in s.border}
    fills.update({cell: INSERTED for cell in s.inserted})
    window = {(s.row + a, s.col + b) for a in range(f) for b in range(f)}
    fills.update({cell: WINDOW for cell in window})
    size = s.grid.shape[0]
    out = [Panel(s.grid, f"dZ spread and bordered: {size} × {size}", fills=fills,
                 boxes=[(s.row, s.col, f, f, EMPHASIS)], axes=True,
                 bold={cell for cell in window if cell not in s.border | s.inserted}),
           Panel(s.turned, f"W turned 180°: {f} × {f}",
                 fills={(a, b): WINDOW for a in range(f) for b in range(f)}, axes=True)]
    pad_fills = {(r, c): PAD_FILL for r in range(total) for c in range(total)
                 if min(r, c) < s.pad or max(r, c) >= total - s.pad}
    out.append(Panel(s.dpad, f"dA_prev padded: {total} × {total}",
                     fills=pad_fills | {(s.row, s.col): SOURCE},
                     boxes=[(s.row, s.col, 1, 1, EMPHASIS)], axes=True))
    arrows = [None, "slide, stride 1", "crop the padding" if s.pad else "(no padding)"]
    here = (s.row - s.pad, s.col - s.pad)
    inside = 0 <= here[0] < s.n and 0 <= here[1] < s.n
    mark = {here: SOURCE} if inside else {}
    out.append(Panel(s.dprev, f"dA_prev: {s.n} × {s.n}", fills=mark, axes=True,
                     boxes=[(*here, 1, 1, EMPHASIS)] if inside else []))
    if s.learner.value is not None:
        out.append(Panel(s.learner.value, f"your {s.learner.name}", fills=mark,
                         diffs=s.learner.diffs, axes=True))
        arrows.append(None)
    return out, arrows


def render(s: ArithmeticState) -> str:
    parts = []
    if s.error:
        parts.append(core.message("error", s.error))
    parts.append(core.formula(s.formula))
    if s.note:
        parts.append(core.paragraph(s.note))
    parts.append(core.paragraph(DILATION))
    if s.grid is not None and s.dpad is not None:
        parts.append(core.paragraph(
            "Backward to the input, the convolution is a convolution again: every output sent "
            "dZ·W back over its window, which is what sliding W turned by 180° over dZ spread by "
            "the stride gives (a transposed convolution)."))
        parts.append(core.svg(figure(*panels(s))))
        parts.append(core.legend((WINDOW, "the window on dZ / the filter"),
                                 (INSERTED, "zeros between the values of dZ (stride)"),
                                 (PAD_FILL, "bordering zeros / padding"),
                                 (SOURCE, "the cell computed"), diff=bool(s.learner.diffs),
                                 notes=("bold: the values of dZ in the window",)))
        parts.append(core.formula(s.size_text))
        parts.append(core.formula(s.step))
    parts.extend(core.message(k, t) for k, t in core.check_lines(s.learner, "dA_prev"))
    if s.learner.status == "absent" and not s.error:
        parts.append(core.expected_only("explore_conv_arithmetic(Convolution=Convolution) (or "
                                        "conv_backward=conv_backward)", "layer"))
    return core.page(*parts)


def explore_conv_arithmetic(conv_backward=None, Convolution=None):
    """Input size, filter size, stride and pad: the output size with the formula filled in,
    and the backward pass to the input as a transposed convolution of dZ with the same W.

    With your ``Convolution`` (Assignment 2) or ``conv_backward`` (Assignment 1) the explorer
    shows your gradient beside the expected one and frames every value that differs.
    """
    controls = {"n": core.slider("input n", 5, N_RANGE[0], N_RANGE[-1]),
                "f": core.slider("f", 3, F_RANGE[0], F_RANGE[-1]),
                "stride": core.slider("stride", 2, STRIDE_RANGE[0], STRIDE_RANGE[-1]),
                "pad": core.slider("pad", 1, PAD_RANGE[0], PAD_RANGE[-1]),
                "row": core.slider("dA row", 0, 0, 6), "col": core.slider("dA col", 0, 0, 6)}

    def draw(c):
        s = arithmetic_state(c["n"].value, c["f"].value, c["stride"].value, c["pad"].value,
                             c["row"].value, c["col"].value, conv_backward, Convolution)
        for name in ("row", "col"):
            core.fit_slider(c[name], s.n + 2 * s.pad - 1 if s.n_out else 0)
        return render(s)

    return core.make_explorer("arithmetic", controls, [["n", "f", "stride", "pad"], ["row", "col"]],
                              draw)

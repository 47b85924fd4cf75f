"""Gradient-flow explorer: pick an input position and see which outputs' windows covered it
and which weights carry dZ back to it; pick a weight and see the input cells its dW adds up;
the same routing for max and average pooling."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cnnbook.drawing import EMPHASIS, PAD_FILL, SOURCE, WINDOW, Panel, figure
from cnnbook.explorers import _core as core
from cnnbook.explorers._core import Check
from cnnbook.explorers.convolution import BIAS, W_BIG, X_BIG
from cnnbook.explorers import _expected

LAYERS = {"conv": "convolution", "max": "max pooling", "average": "average pooling"}
COVER = "#0072b2"  # Okabe-Ito blue: the outline of each window that covers the chosen input


@dataclass
class GradState:
    layer: str    # "conv", "max" or "average"
    target: str   # "input" (a cell of A_prev) or "weight" (a cell of W)
    n: int
    f: int
    pad: int
    stride: int
    row: int
    col: int
    x: np.ndarray
    w: np.ndarray
    padded: np.ndarray
    n_out: int
    error: str = ""
    dz: np.ndarray | None = None       # the output gradient: 1, 2, 3, ... in reading order
    dprev: np.ndarray | None = None    # expected dA_prev (n × n)
    dw: np.ndarray | None = None
    db: float = 0.0
    covering: list[tuple[int, int]] = field(default_factory=list)  # outputs whose window covers
    routes: list[tuple] = field(default_factory=list)  # (h, v, (i, j) weight or None, amount)
    sources: list[tuple] = field(default_factory=list)  # (h, v, (r, c) padded cell, a, dz)
    unreached: list[int] = field(default_factory=list)  # padded indices no window reaches
    sum_text: str = ""
    db_text: str = ""
    learner: Check = field(default_factory=lambda: Check(""))
    extra: list[tuple[str, str]] = field(default_factory=list)  # more (kind, text) lines

    @property
    def chosen(self) -> tuple[int, int]:
        """The chosen cell in the padded input (input target) or in W (weight target)."""
        if self.target == "weight":
            return self.row, self.col
        return self.row + self.pad, self.col + self.pad


def grad_state(layer: str = "conv", target: str = "input", n: int = 4, f: int = 2, pad: int = 0,
               stride: int = 1, row: int = 1, col: int = 1, conv_backward=None,
               pool_backward=None, x: np.ndarray | None = None,
               w: np.ndarray | None = None, dz: np.ndarray | None = None) -> GradState:
    """Everything the gradient explorer shows, without drawing it. Pooling has no padding and
    no weights, so ``pad`` and the weight target apply to convolution only."""
    if layer != "conv":
        pad, target = 0, "input"
    x = X_BIG[:n, :n].astype(float) if x is None else np.asarray(x, dtype=float)
    w = W_BIG[:f, :f].astype(float) if w is None else np.asarray(w, dtype=float)
    n, f = x.shape[0], w.shape[0]
    padded = np.pad(x, pad)
    n_out = core.out_size(n, f, pad, stride)
    state = GradState(layer, target, n, f, pad, stride, row, col, x, w, padded, n_out)
    if n_out == 0:
        state.error = (f"f = {f} is larger than the {'padded ' if pad else ''}input "
                       f"({n + 2 * pad} × {n + 2 * pad}): no window fits, so there is no output "
                       "and nothing flows back. Make f smaller" + (" or pad larger." if layer == "conv"
                                                                    else "."))
        return state
    high = f - 1 if target == "weight" else n - 1
    state.row, state.col = min(max(row, 0), high), min(max(col, 0), high)
    state.unreached = core.unreached(n + 2 * pad, f, stride, n_out)
    state.dz = (np.arange(1, n_out * n_out + 1, dtype=float).reshape(n_out, n_out)
                if dz is None else np.asarray(dz, dtype=float))
    if layer == "conv":
        _conv(state, conv_backward)
    else:
        _pool(state, pool_backward)
    return state


def _terms(pairs: list[tuple[str, str]], limit: int = 9) -> str:
    if len(pairs) > limit:
        shown = " + ".join(f"{a}·{b}" for a, b in pairs[:3])
        return f"{shown} + … ({len(pairs)} terms)"
    return " + ".join(f"{a}·{b}" for a, b in pairs)


def _p(v: float) -> str:
    return f"({core.fmt(v)})" if v < 0 else core.fmt(v)


def _conv(s: GradState, conv_backward) -> None:
    found = _expected.get("conv_backward", s.padded, s.w, s.dz, s.stride)
    if found is None:
        s.error = "the expected gradients of this setting are not stored: they cannot be shown."
        s.dz = None
        return
    dpad, s.dw, s.db = found[0], found[1], float(found[2])
    s.dprev = dpad[s.pad:s.pad + s.n, s.pad:s.pad + s.n]
    f, st = s.f, s.stride
    if s.target == "input":
        r, c = s.chosen
        for h in range(s.n_out):
            for v in range(s.n_out):
                i, j = r - h * st, c - v * st
                if 0 <= i < f and 0 <= j < f:
                    s.covering.append((h, v))
                    s.routes.append((h, v, (i, j), s.w[i, j] * s.dz[h, v]))
        lhs = f"dA_prev[{s.row}, {s.col}]"
        if s.routes:
            terms = _terms([(f"W[{i}, {j}]", f"dZ[{h}, {v}]") for h, v, (i, j), _ in s.routes])
            values = _terms([(_p(s.w[i, j]), core.fmt(s.dz[h, v])) for h, v, (i, j), _ in s.routes])
            where = f"A_prev[{s.row}, {s.col}]" + (f" (padded position {r}, {c})" if s.pad else "")
            if len(s.routes) == 1:
                h, v, (i, j), _ = s.routes[0]
                why = (f"Only the window of output ({h}, {v}) covered {where}, where it met "
                       f"W[{i}, {j}]: dZ[{h}, {v}] comes back through that weight alone.")
            else:
                why = (f"{len(s.routes)} windows covered {where}; in each it met a different "
                       "weight, so each output's gradient comes back through that weight, and the "
                       "shares add up.")
            s.sum_text = (f"{lhs} = {terms}\n{' ' * len(lhs)} = {values} = "
                          f"{core.fmt(s.dprev[s.row, s.col])}\n{why}")
        else:
            s.sum_text = (f"{lhs} = 0: no window covers A_prev[{s.row}, {s.col}] (hatched), so it "
                          "never influenced Z and gets no gradient.")
    else:
        i, j = s.row, s.col
        for h in range(s.n_out):
            for v in range(s.n_out):
                cell = (h * st + i, v * st + j)
                s.sources.append((h, v, cell, s.padded[cell], s.dz[h, v]))
        terms = _terms([(f"a[{r}, {c}]", f"dZ[{h}, {v}]") for h, v, (r, c), _, _ in s.sources])
        values = _terms([(_p(a), core.fmt(d)) for _, _, _, a, d in s.sources])
        lhs = f"dW[{i}, {j}]"
        s.sum_text = (f"{lhs} = {terms}\n{' ' * len(lhs)} = {values} = {core.fmt(s.dw[i, j])}\n"
                      f"W[{i}, {j}] met one cell of the {'padded ' if s.pad else ''}input in each "
                      f"of the {len(s.sources)} "
                      f"windows, a[h·{st} + {i}, w·{st} + {j}]; each of those cells times that "
                      "output's gradient adds to dW.")
    s.db_text = f"db = sum of dZ = {core.fmt(s.db)} (the bias is added to every output)."
    if conv_backward is None:
        s.learner = Check("conv_backward")
        return
    hp = {"stride": s.stride, "pad": s.pad}
    cache = (s.x[None, :, :, None], s.w[:, :, None, None], np.full((1, 1, 1, 1), float(BIAS)), hp)
    result, message = core.attempt("conv_backward", conv_backward, s.dz[None, :, :, None], cache)
    if message:
        s.learner = Check("conv_backward", True, message=message)
        return
    if not (isinstance(result, tuple) and len(result) == 3):
        s.learner = Check("conv_backward", True, message=(
            f"conv_backward returned a {type(result).__name__}; expected (dA_prev, dW, db)."))
        return
    d_a, d_w, d_b = result
    checks = {
        "input": core.compare("conv_backward", d_a, lambda r: core.as_array(
            r, (1, s.n, s.n, 1), "dA_prev")[0, :, :, 0], s.dprev, "dA_prev"),
        "weight": core.compare("conv_backward", d_w, lambda r: core.as_array(
            r, (f, f, 1, 1), "dW")[:, :, 0, 0], s.dw, "dW")}
    s.learner = checks[s.target]
    s.learner.failure = core.check_failure("conv_backward", conv_backward)
    other = checks["weight" if s.target == "input" else "input"]
    label = "dW" if s.target == "input" else "dA_prev"
    if other.status != "matches":
        s.extra.append(("bad" if other.value is not None else "error",
                        f"(and its {label}: {other.message})"))
    try:
        got_db = core.as_array(d_b, (1, 1, 1, 1), "db").item()
        if not np.isclose(got_db, s.db):
            s.extra.append(("bad", f"your conv_backward gives db = {core.fmt(got_db)}; expected "
                                   f"{core.fmt(s.db)}, the sum of dZ."))
    except core.Unusable as err:
        s.extra.append(("error", f"conv_backward: {err}."))


def _pool(s: GradState, pool_backward) -> None:
    mode, f, st = s.layer, s.f, s.stride
    found = _expected.get("pool_routes", s.x, s.dz, f, st, mode, False)
    if found is None:
        s.error = "the expected gradients of this setting are not stored: they cannot be shown."
        s.dz = None
        return
    s.dprev, sent = found[0].sum(axis=(0, 1)), _expected.sent_from(found[0])
    r, c = s.row, s.col
    received = {(h, v): a for h, v, a in sent.get((r, c), [])}
    for h in range(s.n_out):
        for v in range(s.n_out):
            if h * st <= r < h * st + f and v * st <= c < v * st + f:
                s.covering.append((h, v))
                s.routes.append((h, v, None, received.get((h, v), 0.0)))
    lhs = f"dA_prev[{r}, {c}]"
    if not s.routes:
        s.sum_text = (f"{lhs} = 0: no window covers A_prev[{r}, {c}] (hatched), so it never "
                      "influenced the output and gets no gradient.")
    elif mode == "max":
        parts = []
        for h, v, _, amount in s.routes:
            win = s.x[h * st:h * st + f, v * st:v * st + f]
            parts.append(f"window ({h}, {v}): " + (f"it is the maximum, it gets dZ[{h}, {v}] = "
                                                   f"{core.fmt(amount)}" if amount else
                                                   f"the maximum is {core.fmt(win.max())}, not "
                                                   f"{core.fmt(s.x[r, c])}: 0"))
        total = " + ".join(core.fmt(a) for *_, a in s.routes)
        s.sum_text = (f"A_prev[{r}, {c}] = {core.fmt(s.x[r, c])} lies in {len(s.routes)} window(s).\n"
                      + "\n".join(parts) + f"\n{lhs} = {total} = {core.fmt(s.dprev[r, c])}")
        tied = [(h, v) for h, v in s.covering
                if np.count_nonzero(s.x[h * st:h * st + f, v * st:v * st + f]
                                    == s.x[h * st:h * st + f, v * st:v * st + f].max()) > 1]
        if tied:
            s.sum_text += (f"\nA tie in window {', '.join(map(str, tied))}: a window with several "
                           "equal maxima sends its full gradient to each of them (x == max(x)); "
                           "sending it to the first only is right too.")
    else:
        n = f * f
        terms = " + ".join(f"{core.fmt(s.dz[h, v])}/{n}" for h, v, *_ in s.routes)
        s.sum_text = (f"A_prev[{r}, {c}] lies in {len(s.routes)} window(s); each shares its gradient "
                      f"equally among its {n} cells.\n{lhs} = {terms} = {core.fmt(s.dprev[r, c])}")
    if pool_backward is None:
        s.learner = Check("pool_backward")
        return
    hp = {"f": f, "stride": st}
    a_prev = s.x[None, :, :, None]
    alternatives = {}
    if mode == "max":
        first = _expected.get("pool_routes", s.x, s.dz, f, st, mode, True)[0].sum(axis=(0, 1))
        if not np.array_equal(first, s.dprev):
            alternatives["At a tie it sends the gradient to the first maximum only, as argmax "
                         "does: that is right too."] = first
    s.learner = core.check("pool_backward", pool_backward, (s.dz[None, :, :, None], (a_prev, hp), mode),
                           lambda res: core.as_array(res, a_prev.shape, "dA_prev")[0, :, :, 0],
                           s.dprev, "dA_prev", alternatives)


# Drawing ------------------------------------------------------------------------------

def panels(s: GradState, learner: bool = True) -> list[tuple[list[Panel], list[str]]]:
    """One or two rows of panels: the flow of the gradient, and where the windows lie."""
    total = s.padded.shape[0]
    hatch = {(r, c) for r in range(total) for c in range(total)
             if r in s.unreached or c in s.unreached}
    border = {(r, c): PAD_FILL for r in range(total) for c in range(total)
              if min(r, c) < s.pad or max(r, c) >= total - s.pad}
    name = "A_prev padded" if s.pad else "A_prev"
    if s.dz is None:
        return [([Panel(s.padded, f"{name}: {total} × {total}", fills=border, hatch=hatch,
                        axes=True)], [])]
    d = s.dz.shape[0]
    mine = s.learner.value if learner else None
    if s.target == "weight":
        i, j = s.chosen
        fills = dict(border)
        fills.update({cell: SOURCE for _, _, cell, _, _ in s.sources})
        tips = {cell: f"× dZ[{h}, {v}]" for h, v, cell, _, _ in s.sources}
        row = [Panel(s.w, f"W: {s.f} × {s.f}", fills={(i, j): WINDOW}, boxes=[(i, j, 1, 1, EMPHASIS)],
                     axes=True),
               Panel(s.padded, f"{name}: {total} × {total}", fills=fills, tips=tips, hatch=hatch,
                     boxes=[(0, 0, s.f, s.f, COVER)], axes=True),
               Panel(s.dz, f"dZ: {d} × {d}", fills={(h, v): SOURCE for h, v, *_ in s.sources},
                     axes=True),
               Panel(s.dw, f"dW: {s.f} × {s.f}", fills={(i, j): WINDOW},
                     boxes=[(i, j, 1, 1, EMPHASIS)], fmt="{:.3g}", axes=True)]
        arrows = ["meets", "× dZ", "Σ over outputs"]
        if mine is not None:
            row.append(Panel(mine, "your dW", fills={(i, j): WINDOW}, diffs=s.learner.diffs,
                             fmt="{:.3g}", axes=True))
            arrows.append(None)
        return [(row, arrows)]
    r, c = s.chosen
    covering = set(s.covering)
    sending = {(h, v) for h, v, _, amount in s.routes if amount}
    dz_fills = {(h, v): (SOURCE if (h, v) in sending else WINDOW) for h, v in covering}
    here = (s.row, s.col)
    fills = dict(border)
    fills[(r, c)] = SOURCE
    # Insets tell apart the outlines of overlapping windows.
    boxes = [(h * s.stride, v * s.stride, s.f, s.f, COVER, 1.5 + 3 * (k % 4))
             for k, (h, v) in enumerate(s.covering)]
    bold = set()
    if s.layer == "max":
        for h, v in s.covering:
            win = s.x[h * s.stride:h * s.stride + s.f, v * s.stride:v * s.stride + s.f]
            bold |= {(h * s.stride + int(a), v * s.stride + int(b))
                     for a, b in np.argwhere(win == win.max())}
    geometry = Panel(s.padded, f"{name}: {total} × {total}", fills=fills, hatch=hatch, bold=bold,
                     boxes=boxes + [(r, c, 1, 1, EMPHASIS)], axes=True)
    result = Panel(s.dprev, f"dA_prev: {s.n} × {s.n}", fills={here: SOURCE},
                   boxes=[(*here, 1, 1, EMPHASIS)], fmt="{:.3g}", axes=True)
    flow = [Panel(s.dz, f"dZ: {d} × {d}" if s.layer == "conv" else f"dA: {d} × {d}",
                  fills=dz_fills, tips={(h, v): f"window ({h}, {v}) covers it" for h, v in covering},
                  axes=True)]
    arrows = []
    if s.layer == "conv":
        used = {(i, j): SOURCE for _, _, (i, j), _ in s.routes}
        flow.append(Panel(s.w, f"W: {s.f} × {s.f}", fills=used, tips={
            (i, j): f"carries dZ[{h}, {v}]" for h, v, (i, j), _ in s.routes}, axes=True))
        arrows.append("× W")
    arrows.append("Σ" if s.layer == "conv" else ("to the maxima" if s.layer == "max" else "÷ f²"))
    flow.append(result)
    if mine is not None:
        flow.append(Panel(mine, "your dA_prev", fills={here: SOURCE}, diffs=s.learner.diffs,
                          fmt="{:.3g}", axes=True))
        arrows.append(None)
    return [([geometry], []), (flow, arrows)]


def render(s: GradState) -> str:
    parts = []
    if s.error:
        parts.append(core.message("error", s.error))
    for row, arrows in panels(s):
        parts.append(core.svg(figure(row, arrows)))
    if s.dz is not None:
        if s.target == "weight":
            keys = [(WINDOW, "the chosen weight"), (SOURCE, "the cells it meets, and their dZ")]
            notes = ["blue outline: the window of output (0, 0)"]
        else:
            keys = [(SOURCE, "the chosen input cell / outputs that send it a share")]
            if any(not amount for *_, amount in s.routes):
                keys.append((WINDOW, "covers it but sends nothing"))
            notes = ["blue outlines: the windows that cover the chosen cell"]
            if s.layer == "max":
                notes.append("bold: the maxima of those windows")
        keys += [(PAD_FILL, "zero padding")] if s.pad else []
        parts.append(core.legend(*keys, hatch=bool(s.unreached), diff=bool(s.learner.diffs),
                                 notes=tuple(notes)))
        parts.append(core.formula(s.sum_text))
        if s.layer == "conv":
            parts.append(core.formula(s.db_text))
    what = "dW" if s.target == "weight" else "dA_prev"
    parts.extend(core.message(k, t) for k, t in core.check_lines(s.learner, what))
    parts.extend(core.message(k, t) for k, t in s.extra)
    if s.learner.status == "absent" and not s.error:
        name = "conv_backward" if s.layer == "conv" else "pool_backward"
        parts.append(core.expected_only(f"explore_gradients({name}={name})"))
    return core.page(*parts)


def explore_gradients(conv_backward=None, pool_backward=None):
    """Follow the gradient back: choose an input cell (or, for convolution, a weight) and see
    every output that sends it a share, and through which weight or mask.

    With your ``conv_backward`` and ``pool_backward`` the explorer shows your gradients beside
    the expected ones and frames every value that differs.
    """
    layers = ["convolution", "max pooling", "average pooling"]
    controls = {"layer": core.toggle("layer", layers, "convolution"),
                "target": core.toggle("choose", ["an input cell", "a weight"], "an input cell"),
                "n": core.slider("input n", 4, 2, 6), "f": core.slider("f", 2, 1, 4),
                "pad": core.slider("pad", 0, 0, 2), "stride": core.slider("stride", 1, 1, 3),
                "row": core.slider("row", 1, 0, 3), "col": core.slider("col", 1, 0, 3)}

    def draw(c):
        layer = {v: k for k, v in LAYERS.items()}[c["layer"].value]
        target = "weight" if c["target"].value == "a weight" else "input"
        c["target"].disabled = c["pad"].disabled = layer != "conv"
        if layer != "conv":
            target = "input"
        state = grad_state(layer, target, c["n"].value, c["f"].value, c["pad"].value,
                           c["stride"].value, c["row"].value, c["col"].value, conv_backward,
                           pool_backward)
        high = state.f - 1 if state.target == "weight" else state.n - 1
        for name in ("row", "col"):
            core.fit_slider(c[name], high if not state.error else 0)
            c[name].description = f"{'weight' if state.target == 'weight' else 'input'} {name}"
        return render(state)

    return core.make_explorer("gradients", controls,
                              [["layer", "target"], ["n", "f", "pad", "stride"], ["row", "col"]],
                              draw)

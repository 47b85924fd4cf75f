"""The trained network (Assignment 3): pick a test digit and see the feature maps after each
layer, the class probabilities, the saliency of the input (the gradient of a class score with
respect to the image, from the learner's own backward passes), an occlusion view to check it
against, and the receptive field of each layer's units.

The network is Assignment 3's SimpleCNN, trained once with the notebook's settings; its
parameters and its expected views are stored (``cnnbook/expected/explorers_assignment3.npz``).
Given the learner's ``SimpleCNN``, the explorer runs it with those parameters and compares;
given the learner's own trained ``net``, it shows that network, its saliency checked against
centred differences.
"""

from __future__ import annotations

import contextlib
import copy
import io
import warnings
from dataclasses import dataclass, field

import numpy as np

from cnnbook import digits
from cnnbook.drawing import EMPHASIS, FONT, MARGIN, TITLE_LINE, Panel, figure
from cnnbook.explorers import _core as core
from cnnbook.explorers import _expected
from cnnbook.explorers._core import Check

LAYERS = ["conv", "relu", "pool"]
LAYER_NAMES = {"conv": "after the convolution (3 × 3, pad 1)", "relu": "after ReLU",
               "pool": "after max pooling (2 × 2, stride 2)"}
# Each layer as (filter size, stride, pad), for the receptive field.
GEOMETRY = {"conv": (3, 1, 1), "relu": (1, 1, 0), "pool": (2, 2, 0)}
PATCH_SIZES = (2, 3)
GREY = 0.5              # the occluding patch: mid-grey on the 0..1 scale of the images
NUMERIC_PIXELS = ((2, 3), (4, 4), (5, 2))  # where the saliency is checked first (if smooth there)
PIXEL = 22              # cell size of a digit's pixel
MAP_CELL = 9            # cell size in the mosaic of all feature maps (of 8 × 8)


# Colours (helpers of this explorer; cnnbook.drawing draws the grids) ---------------------

def _hex(rgb) -> str:
    return "#" + "".join(f"{int(round(min(max(v, 0), 255))):02x}" for v in rgb)


def grey(v: float) -> str:
    """0 white .. 1 black, as the digits are drawn (ink is dark)."""
    return _hex([255 * (1 - min(max(float(v), 0.0), 1.0))] * 3)


def diverging(v: float, scale: float) -> str:
    """Negative blue, zero white, positive vermillion (colour-blind-safe), relative to scale."""
    t = 0.0 if scale <= 0 else min(abs(float(v)) / scale, 1.0)
    end = (213, 94, 0) if v > 0 else (0, 114, 178)
    return _hex([255 + (e - 255) * t for e in end])


def _fills(grid: np.ndarray, colour) -> dict[tuple[int, int], str]:
    return {(r, c): colour(grid[r, c]) for r in range(grid.shape[0]) for c in range(grid.shape[1])}


def _blank(shape) -> np.ndarray:
    return np.full(shape, np.nan)


# The stored network -------------------------------------------------------------------

_data: dict = {}


def stored_network() -> tuple[dict[str, np.ndarray], np.ndarray] | None:
    """(params, test indices of the digits offered), or None where they are not stored."""
    found = _expected.raw("network")
    if found is None:
        return None
    params = {k: found[k] for k in ("W1", "b1", "W2", "b2")}
    return params, found["digits"].astype(int)


def test_digits() -> tuple[np.ndarray, np.ndarray]:
    """The test images, float (n, 8, 8) scaled 0..1, and their labels."""
    if "test" not in _data:
        images, labels = digits.load()["test"]
        _data["test"] = (digits.as_batch(images)[:, 0], labels.astype(int))
    return _data["test"]


def occluded(image: np.ndarray, size: int) -> np.ndarray:
    """Every position of a grey size × size patch: images (P·P, 1, 8, 8), P = 8 − size + 1."""
    n = image.shape[0]
    positions = n - size + 1
    batch = np.repeat(image[None, None], positions * positions, axis=0)
    for k in range(positions * positions):
        r, c = divmod(k, positions)
        batch[k, 0, r:r + size, c:c + size] = GREY
    return batch


def receptive_field(layer: str, row: int, col: int) -> tuple[int, int, int, str]:
    """(top, left, size, the arithmetic) of what unit (row, col) of ``layer`` sees of the input;
    top and left may lie in the padding (negative)."""
    jump, offset, size, steps = 1, 0, 1, []
    for name in LAYERS[:LAYERS.index(layer) + 1]:
        k, s, p = GEOMETRY[name]
        offset -= p * jump
        grown = size + (k - 1) * jump
        if k > 1:
            steps.append(f"{name} {k} × {k}: r = {size} + ({k} − 1)·{jump} = {grown}")
        size, jump = grown, jump * s
    text = ("; ".join(steps) + f" (each unit of this layer is {jump} pixel{'s' if jump > 1 else ''} "
            "from the next). The dense layer after pooling sees all 8 × 8 pixels.")
    return offset + row * jump, offset + col * jump, size, text


# The learner's network ----------------------------------------------------------------

class LearnerNet:
    """The learner's network, run step by step: feature maps, probabilities, saliency, occlusion."""

    def __init__(self, net):
        self.net = net

    def _layers(self):
        layers = getattr(self.net, "layers", None)
        if not isinstance(layers, (list, tuple)) or len(layers) != 4:
            raise core.Unusable("its layers should be the list [Convolution, Relu, MaxPool, Dense]")
        return layers

    def _probs(self, scores: np.ndarray) -> np.ndarray:
        loss_layer = getattr(self.net, "loss_layer", None)
        loss_layer.forward(scores, np.zeros(len(scores), dtype=int))
        return np.asarray(loss_layer.probs, dtype=float)

    def forward(self, image: np.ndarray):
        x = image[None, None]
        maps = []
        for layer in self._layers():
            x = layer.forward(x)
            maps.append(np.asarray(x, dtype=float))
        return maps[0][0], maps[1][0], maps[2][0], self._probs(maps[3])[0]

    def saliency(self, image: np.ndarray) -> np.ndarray:
        """d score_k / d image for every class k: one forward pass of ten copies, one backward
        pass of the identity matrix as the scores' gradient -> (K, 8, 8)."""
        layers = self._layers()
        x = np.repeat(image[None, None], 10, axis=0)
        for layer in layers:
            x = layer.forward(x)
        d = np.eye(x.shape[1])
        for layer in reversed(layers):
            d = layer.backward(d)
        return np.asarray(d, dtype=float)[:, 0]

    def score(self, image: np.ndarray, k: int) -> float:
        return float(np.asarray(self.net.predict(image[None, None]), dtype=float)[0, k])

    def occlusion(self, image: np.ndarray, size: int) -> np.ndarray:
        batch = occluded(image, size)
        positions = image.shape[0] - size + 1
        scores = np.asarray(self.net.predict(batch), dtype=float)
        return self._probs(scores).reshape(positions, positions, -1)


def _run(what: str, fn, *args):
    """(result, "") or (None, one line), as core.attempt gives, for a step of the network; an
    unwritten method is named with its class (Relu.forward), as the learner wrote it."""
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = fn(*copy.deepcopy(args))
    except NotImplementedError as err:
        return None, not_written(err)
    except Exception:  # run again through core.attempt, which makes the learner's error one line
        with contextlib.redirect_stdout(io.StringIO()):
            return core.attempt(what, fn, *args)
    if result is None:
        return None, f"{what} returned None: is a return statement missing?"
    return result, ""


def not_written(err: NotImplementedError) -> str:
    """One line for an unwritten step: its own message (Assignment 2's layers missing), or the
    class and method that raised it."""
    text = str(err).splitlines()[0] if str(err) else ""
    if text:
        return f"{text}."
    tb = err.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    owner = tb.tb_frame.f_locals.get("self")
    method = tb.tb_frame.f_code.co_name
    name = f"{type(owner).__name__}.{method}" if owner is not None else method
    return f"{name} is not implemented yet: the expected views are shown alone."


# State --------------------------------------------------------------------------------

@dataclass
class NetworkState:
    digit: int            # which of the offered test digits
    layer: str
    feature: int          # which feature map
    unit_row: int
    unit_col: int
    klass: int            # the class whose saliency and occlusion are shown
    patch: int            # the occluding patch's size
    patch_row: int
    patch_col: int
    error: str = ""
    label: int = 0
    index: int = 0        # the digit's index in the test split
    image: np.ndarray | None = None
    maps: dict[str, np.ndarray] = field(default_factory=dict)   # layer -> (F, h, w)
    probs: np.ndarray | None = None                              # (K,)
    saliency: np.ndarray | None = None                           # (8, 8) of the chosen class
    occlusion: np.ndarray | None = None                          # (P, P): the class's probability
    rf: tuple[int, int, int] = (0, 0, 1)
    rf_text: str = ""
    source: str = "stored"  # "stored", or "yours" (the learner's own trained network)
    checks: dict[str, Check] = field(default_factory=dict)  # "map", "probs", "saliency", "occlusion"
    lines: list[tuple[str, str]] = field(default_factory=list)
    numeric: str = ""

    @property
    def predicted(self) -> int:
        return int(np.argmax(self.probs)) if self.probs is not None else -1


def _compare(name: str, got, expected: np.ndarray, what: str) -> Check:
    return core.compare(name, got, lambda r: core.as_array(r, expected.shape, what), expected, what)


def network_state(digit: int = 0, layer: str = "relu", feature: int = 0, unit_row: int = 3,
                  unit_col: int = 3, klass: int | None = None, patch: int = 2, patch_row: int = 2,
                  patch_col: int = 2, SimpleCNN=None, net=None, cache: dict | None = None,
                  params: dict | None = None, offered: np.ndarray | None = None) -> NetworkState:
    """Everything the network explorer shows, without drawing it. ``cache`` keeps the learner's
    views between calls (one forward and backward pass per digit, not per control change);
    ``params`` and ``offered`` replace the stored network (the instructor's package uses them)."""
    cache = {} if cache is None else cache
    s = NetworkState(digit, layer, feature, unit_row, unit_col, klass if klass is not None else -1,
                     patch, patch_row, patch_col)
    if params is None:
        found = stored_network()
        if found is None:
            s.error = "the trained network is not stored: the views cannot be shown."
            return s
        params, offered = found
    images, labels = test_digits()
    s.digit = min(max(digit, 0), len(offered) - 1)
    s.index = int(offered[s.digit])
    s.image, s.label = images[s.index], int(labels[s.index])
    key = (s.image, params["W1"], params["b1"], params["W2"], params["b2"])
    expected = _expected.get("net_forward", *key)
    if expected is None:
        s.error = "the expected views of this digit are not stored: they cannot be shown."
        return s
    s.maps = dict(zip(LAYERS, expected[:3]))
    s.probs = expected[3]
    s.klass = s.predicted if klass is None or not 0 <= klass < len(s.probs) else klass
    s.patch = patch if patch in PATCH_SIZES else PATCH_SIZES[0]
    positions = 8 - s.patch + 1
    s.patch_row, s.patch_col = (min(max(v, 0), positions - 1) for v in (patch_row, patch_col))
    s.feature = min(max(feature, 0), s.maps[layer].shape[0] - 1)
    side = s.maps[layer].shape[1]
    s.unit_row, s.unit_col = (min(max(v, 0), side - 1) for v in (unit_row, unit_col))
    *s.rf, s.rf_text = receptive_field(layer, s.unit_row, s.unit_col)
    saliency = _expected.get("net_saliency", *key)
    occlusion = _expected.get("net_occlusion", *key, s.patch)
    if saliency is None or occlusion is None:
        s.error = "the expected views of this digit are not stored: they cannot be shown."
        return s
    s.saliency = saliency[0][s.klass]
    s.occlusion = occlusion[0][:, :, s.klass]
    if net is not None:
        _own(s, net, cache)
    elif SimpleCNN is not None:
        _learner(s, SimpleCNN, params, cache)
    return s


def _learner(s: NetworkState, SimpleCNN, params: dict, cache: dict) -> None:
    """The learner's SimpleCNN, with the stored parameters, beside the expected views."""
    if "net" not in cache:
        copies = {k: v.copy() for k, v in params.items()}
        cache["net"] = _run("SimpleCNN", SimpleCNN, copies)
    made, message = cache["net"]
    if message:
        s.lines.append(("error", message))
        return
    mine = LearnerNet(made)
    failure = core.check_failure("SimpleCNN", SimpleCNN)
    views = _views(s, mine, cache)
    if views is None:
        return
    forward, saliency, occlusion = views
    if forward is not None:
        conv, relu, pool, probs = forward
        got = dict(zip(LAYERS, (conv, relu, pool)))[s.layer]
        s.checks["map"] = _compare("SimpleCNN", np.asarray(got)[s.feature] if np.ndim(got) == 3 else got,
                                   s.maps[s.layer][s.feature], f"feature map {s.feature}")
        s.checks["probs"] = _compare("SimpleCNN", np.asarray(probs)[None], s.probs[None],
                                     "probabilities")
    if saliency is not None:
        s.checks["saliency"] = _compare("SimpleCNN", np.asarray(saliency)[s.klass]
                                        if np.ndim(saliency) == 3 else saliency, s.saliency, "saliency")
    if occlusion is not None:
        s.checks["occlusion"] = _compare("SimpleCNN", np.asarray(occlusion)[:, :, s.klass]
                                         if np.ndim(occlusion) == 3 else occlusion, s.occlusion,
                                         "occlusion map")
    for check in s.checks.values():
        check.failure = failure


def _views(s: NetworkState, mine: LearnerNet, cache: dict):
    """The learner's forward views, saliency and occlusion of the chosen digit (cached); a
    failing step becomes one line."""
    out = []
    for what, key, fn, args in [
            ("forward", ("forward", s.index), mine.forward, (s.image,)),
            ("backward", ("saliency", s.index), mine.saliency, (s.image,)),
            ("predict", ("occlusion", s.index, s.patch), mine.occlusion, (s.image, s.patch))]:
        if key not in cache:
            result, message = _run(f"the network's {what}", fn, *args)
            if not message and what == "forward":
                try:
                    result = tuple(np.asarray(a, dtype=float) for a in result)
                except (TypeError, ValueError):
                    result, message = None, "the network's forward pass gave something not numeric."
            cache[key] = (result, message)
        result, message = cache[key]
        if message:
            s.lines.append(("error", message))
        out.append(result)
    return out


def _own(s: NetworkState, net, cache: dict) -> None:
    """The learner's own trained network: its views replace the stored ones (no expected
    views exist for it); its saliency is checked against centred differences of its predict."""
    mine = LearnerNet(net)
    views = _views(s, mine, cache)
    s.source = "yours"
    forward, saliency, occlusion = views
    if forward is not None:
        s.maps = dict(zip(LAYERS, forward[:3]))
        s.probs = forward[3]
    if saliency is not None:
        s.saliency = saliency[s.klass]
        key = ("numeric", s.index, s.klass)
        if key not in cache:
            cache[key] = numeric_check(mine, s.image, s.klass, saliency[s.klass])
        s.numeric = cache[key]
    if occlusion is not None:
        s.occlusion = occlusion[:, :, s.klass]


def smooth_differences(score, image: np.ndarray, h: float = 1e-5, count: int = 3):
    """Centred differences of ``score(image)`` at the first ``count`` pixels of NUMERIC_PIXELS
    (then every other pixel) where the score is smooth: a pixel at a kink (a tie in max pooling,
    a ReLU input at 0, common where the background is flat) has a gradient only from one side,
    and its one-sided differences disagree. Returns [((r, c), centred difference)]."""
    base = score(image)
    found = []
    order = list(NUMERIC_PIXELS) + [(r, c) for r in range(image.shape[0])
                                    for c in range(image.shape[1]) if (r, c) not in NUMERIC_PIXELS]
    for r, c in order:
        up, down = image.copy(), image.copy()
        up[r, c] += h
        down[r, c] -= h
        ahead, behind = (score(up) - base) / h, (base - score(down)) / h
        if abs(ahead - behind) <= 1e-4 * (abs(ahead) + abs(behind)) + 1e-6:
            found.append(((r, c), (ahead + behind) / 2))
        if len(found) == count:
            break
    return found


def numeric_check(mine: LearnerNet, image: np.ndarray, k: int, grad: np.ndarray) -> str:
    """One line: the saliency against centred differences of score k at a few smooth pixels."""
    found = smooth_differences(lambda x: mine.score(x, k), image)
    errors = [abs(numeric - grad[cell]) / max(abs(numeric) + abs(grad[cell]), 1e-8)
              for cell, numeric in found]
    worst = max(errors, default=0.0)
    verdict = "they agree" if worst < 1e-5 else "they DISAGREE: a backward pass does not match its forward"
    return (f"Saliency checked against centred differences of your predict at pixels "
            f"{', '.join(str(cell) for cell, _ in found)}: largest relative error {worst:.1e}, "
            f"{verdict}.")


# Drawing ------------------------------------------------------------------------------

def mosaic(maps: np.ndarray, chosen: int) -> str:
    """All feature maps in a 4 × 4 mosaic, coloured, without numbers or cell borders, the
    chosen one framed: SVG text. Drawn here rather than as a Panel: a panel strokes every
    cell, and 16 maps of 64 cells would make the view several times larger to redraw."""
    count, side, _ = maps.shape
    cols = 4
    rows = -(-count // cols)
    cell = MAP_CELL * 8 // side
    step = side * cell + cell  # one cell between the maps
    top = TITLE_LINE + 8
    width, height = cols * step - cell + 2 * MARGIN, top + rows * step - cell + MARGIN
    scale = float(np.max(np.abs(maps))) or 1.0
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
           f"viewBox='0 0 {width} {height}' {FONT} shape-rendering='crispEdges'>",
           "<rect width='100%' height='100%' fill='#ffffff'/>",
           f"<text x='{width / 2:g}' y='{TITLE_LINE}' text-anchor='middle' font-size='13'>"
           f"all {count} maps</text>"]
    for k in range(count):
        x0, y0 = MARGIN + (k % cols) * step, top + (k // cols) * step
        for r, c in zip(*np.nonzero(maps[k])):
            out.append(f"<rect x='{x0 + c * cell}' y='{y0 + r * cell}' width='{cell}' "
                       f"height='{cell}' fill='{diverging(maps[k, r, c], scale)}'/>")
        colour, stroke = (EMPHASIS, 3) if k == chosen else ("#555", 1)
        out.append(f"<rect x='{x0}' y='{y0}' width='{side * cell}' height='{side * cell}' "
                   f"fill='none' stroke='{colour}' stroke-width='{stroke}'/>")
    return "\n".join(out) + "\n</svg>\n"


def _digit(image: np.ndarray, title: str, boxes=(), extra=None) -> Panel:
    fills = _fills(image, grey)
    fills.update(extra or {})
    return Panel(_blank(image.shape), title, fills=fills, boxes=list(boxes), cell=PIXEL, axes=True)


def _heat(grid: np.ndarray, title: str, scale: float, diffs=None, boxes=(), fmt="{:.2f}",
          numbers: bool = True) -> Panel:
    cell = 30 if numbers else PIXEL
    # Rounded as shown, so that a small negative value reads 0.0, not -0.0.
    digits = int(fmt[fmt.index(".") + 1]) if "." in fmt else 2
    return Panel(np.round(grid, digits) if numbers else _blank(grid.shape), title,
                 fills=_fills(grid, lambda v: diverging(v, scale)), diffs=diffs or {},
                 boxes=list(boxes), fmt=fmt, axes=True, cell=cell)


def _change(grid: np.ndarray, base: float, title: str, diffs=None, boxes=()) -> Panel:
    """Probabilities coloured by how far they moved from ``base``: white unchanged, blue fallen,
    vermillion risen (so the places where a patch matters stand out)."""
    moved = grid - base
    scale = max(float(np.max(np.abs(moved))), 0.05)
    return Panel(grid, title, fills=_fills(moved, lambda v: diverging(v, scale)),
                 diffs=diffs or {}, boxes=list(boxes), fmt="{:.2f}", axes=True, cell=30)


def panels(s: NetworkState) -> list[tuple[list[Panel], list]]:
    """Rows: the digit with the unit's receptive field, the chosen map (and yours);
    the probabilities (and yours); the saliency (and yours); the occlusion (and yours)."""
    rows = []
    top, left, size = s.rf
    inside = {(r, c) for r in range(top, top + size) for c in range(left, left + size)
              if 0 <= r < 8 and 0 <= c < 8}
    r0, c0 = max(top, 0), max(left, 0)
    rf_box = [(r0, c0, min(top + size, 8) - r0, min(left + size, 8) - c0, EMPHASIS)] if inside else []
    maps = s.maps[s.layer]
    scale = float(np.max(np.abs(maps))) or 1.0
    chosen = maps[s.feature]
    unit = [(s.unit_row, s.unit_col, 1, 1, EMPHASIS)]
    first = [_digit(s.image, f"a {s.label} (test image {s.index})", rf_box),
             _heat(chosen, f"map {s.feature} {s.layer}: {chosen.shape[0]} × {chosen.shape[1]}",
                   scale, boxes=unit, fmt="{:.1f}")]
    arrows = ["sees"]
    mine = s.checks.get("map")
    if mine is not None and mine.value is not None:
        first.append(_heat(mine.value, "your map", scale, diffs=mine.diffs, boxes=unit, fmt="{:.1f}"))
        arrows.append(None)
    rows.append((first, arrows))
    probs = [Panel(s.probs[None], "P(class): class 0 … 9", fmt="{:.2f}", axes=True,
                   fills={(0, k): diverging(p, 1.0) for k, p in enumerate(s.probs)},
                   boxes=[(0, s.klass, 1, 1, EMPHASIS)], bold={(0, s.predicted)})]
    mine = s.checks.get("probs")
    if mine is not None and mine.value is not None:
        probs.append(Panel(mine.value, "your probabilities", fmt="{:.2f}", axes=True,
                           diffs=mine.diffs,
                           fills={(0, k): diverging(p, 1.0) for k, p in enumerate(mine.value[0])}))
    rows.append((probs, [None] * (len(probs) - 1)))
    sal_scale = float(np.max(np.abs(s.saliency))) or 1.0
    saliency = [_digit(s.image, "the digit"),
                _heat(s.saliency, f"d score[{s.klass}] / d image", sal_scale, numbers=False)]
    arrows = [None]
    mine = s.checks.get("saliency")
    if mine is not None and mine.value is not None:
        saliency.append(_heat(mine.value, "yours", sal_scale, diffs=mine.diffs, numbers=False))
        arrows.append(None)
    rows.append((saliency, arrows))
    p = s.patch
    patch_cells = {(r, c): grey(GREY) for r in range(s.patch_row, s.patch_row + p)
                   for c in range(s.patch_col, s.patch_col + p)}
    here = [(s.patch_row, s.patch_col, 1, 1, EMPHASIS)]
    occ = [_digit(s.image, "with a grey patch", [(s.patch_row, s.patch_col, p, p, EMPHASIS)],
                  patch_cells),
           _change(s.occlusion, s.probs[s.klass], f"P({s.klass}) with the patch\nat each position",
                   boxes=here)]
    arrows = ["P per position"]
    mine = s.checks.get("occlusion")
    if mine is not None and mine.value is not None:
        occ.append(_change(mine.value, s.probs[s.klass], "yours", diffs=mine.diffs, boxes=here))
        arrows.append(None)
    rows.append((occ, arrows))
    return rows


def render(s: NetworkState) -> str:
    if s.error:
        return core.page(core.message("error", s.error))
    parts = []
    drawn = panels(s)
    who = "your network" if s.source == "yours" else "the trained network"
    verdict = "right" if s.predicted == s.label else "wrong"
    parts.append(core.formula(f"A {s.label}: {who} reads it as {s.predicted} "
                              f"(P = {s.probs[s.predicted]:.3f}), {verdict}."))
    parts.append(core.paragraph(f"Feature maps {LAYER_NAMES[s.layer]}: vermillion positive, blue "
                                "negative, white zero. The vermillion frame on the digit is what "
                                f"the chosen unit ({s.unit_row}, {s.unit_col}) of map {s.feature} "
                                f"sees, its receptive field: {s.rf[2]} × {s.rf[2]} pixels"
                                + (" (part of it in the padding)." if min(s.rf[:2]) < 0
                                   or max(s.rf[:2]) + s.rf[2] > 8 else ".")))
    parts.append(core.formula(s.rf_text))
    value = s.maps[s.layer][s.feature, s.unit_row, s.unit_col]
    parts.append(core.formula(f"map {s.feature}[{s.unit_row}, {s.unit_col}] = {core.fmt(value)}"))
    parts.append("<div style='display:flex;flex-wrap:wrap;align-items:center;gap:4px'>"
                 + core.svg(mosaic(s.maps[s.layer], s.feature)) + core.svg(figure(*drawn[0]))
                 + "</div>")
    parts.append(core.svg(figure(*drawn[1])))
    parts.append(core.paragraph(
        f"Saliency: how much score[{s.klass}] changes per unit change of each pixel, the gradient of "
        "the class score with respect to the image, from one backward pass through every layer "
        "(the scores' gradient is 1 for that class, 0 for the others). Pixels with a large "
        "gradient, either sign, are the ones the network looks at."))
    parts.append(core.svg(figure(*drawn[2])))
    if s.numeric:
        kind = "ok" if "they agree" in s.numeric else "bad"
        parts.append(core.message(kind, s.numeric))
    parts.append(core.paragraph(
        f"Occlusion: cover a {s.patch} × {s.patch} patch with grey and watch P({s.klass}); the "
        "map gives it for every position of the patch (its top-left corner), blue where it "
        "falls, vermillion where it rises. Where the saliency is large, a patch should change "
        "the probability most."))
    prob = s.occlusion[s.patch_row, s.patch_col]
    parts.append(core.formula(f"P({s.klass}) = {prob:.3f} with the patch at ({s.patch_row}, "
                              f"{s.patch_col}); {s.probs[s.klass]:.3f} without it."))
    parts.append(core.svg(figure(*drawn[3])))
    parts.append(core.legend(diff=any(c.diffs for c in s.checks.values())))
    seen = set()
    for name, what in [("map", "feature map"), ("probs", "probabilities"),
                       ("saliency", "saliency"), ("occlusion", "occlusion map")]:
        check = s.checks.get(name)
        if check is None:
            continue
        for kind, text in core.check_lines(check, what):
            if kind == "ok":
                text = f"your SimpleCNN gives the expected {what}."
                kind, text = core.gate(kind, text, "SimpleCNN", check.failure)
            if text not in seen:
                seen.add(text)
                parts.append(core.message(kind, text))
    for kind, text in s.lines:
        if text not in seen:
            seen.add(text)
            parts.append(core.message(kind, text))
    if not s.checks and not s.lines and s.source == "stored":
        parts.append(core.message("info", "The trained network's views are shown. Pass your class, "
                                          "as in explore_network(SimpleCNN=SimpleCNN), to run it "
                                          "with the same parameters and see yours beside them."))
    return core.page(*parts)


def explore_network(SimpleCNN=None, net=None):
    """Pick a test digit: the feature maps after each layer with the receptive field of a unit,
    the class probabilities, the saliency of the input and an occlusion view.

    With your ``SimpleCNN`` the explorer runs it with the stored trained parameters and frames
    every value that differs from the expected views; with your own trained ``net`` it shows
    that network, its saliency checked against centred differences.
    """
    found = stored_network()
    count = len(found[1]) if found else 1
    controls = {"digit": core.slider("test digit", 0, 0, max(count - 1, 1)),
                "layer": core.toggle("layer", LAYERS, "relu"),
                "feature": core.slider("map", 0, 0, 15),
                "unit_row": core.slider("unit row", 3, 0, 7),
                "unit_col": core.slider("unit col", 3, 0, 7),
                "klass": core.slider("class", 0, 0, 9),
                "patch": core.slider("patch size", PATCH_SIZES[0], PATCH_SIZES[0], PATCH_SIZES[-1]),
                "patch_row": core.slider("patch row", 2, 0, 6),
                "patch_col": core.slider("patch col", 2, 0, 6)}
    cache: dict = {}
    shown = {"digit": None}

    def draw(c):
        klass = c["klass"].value
        new_digit = shown["digit"] != c["digit"].value
        s = network_state(c["digit"].value, c["layer"].value, c["feature"].value,
                          c["unit_row"].value, c["unit_col"].value,
                          None if new_digit else klass, c["patch"].value, c["patch_row"].value,
                          c["patch_col"].value, SimpleCNN, net, cache)
        shown["digit"] = c["digit"].value
        if s.error:
            return render(s)
        # A new digit starts on the class the network reads it as.
        c["klass"].value = s.klass
        c["digit"].description = f"test digit (a {s.label})"
        core.fit_slider(c["feature"], s.maps[s.layer].shape[0] - 1)
        side = s.maps[s.layer].shape[1]
        core.fit_slider(c["unit_row"], side - 1)
        core.fit_slider(c["unit_col"], side - 1)
        core.fit_slider(c["patch_row"], 8 - s.patch)
        core.fit_slider(c["patch_col"], 8 - s.patch)
        return render(s)

    return core.make_explorer("network", controls,
                              [["digit", "layer"], ["feature", "unit_row", "unit_col"],
                               ["klass", "patch", "patch_row", "patch_col"]], draw)

"""Padding explorer: a slider for pad; a photograph and a small array, padded with zeros."""

from __future__ import annotations

import base64
import functools
import io
from dataclasses import dataclass

import numpy as np

from cnnbook import drawing
from cnnbook.drawing import PAD_FILL, Panel, figure
from cnnbook.explorers import _core as core
from cnnbook.explorers._core import Check

# Not square, so that a learner sees height and width grow by 2·pad each.
SMALL = np.arange(1, 13).reshape(3, 4)
MAX_PAD = 4
PHOTO_BLOCK = 12  # the photograph is shrunk by this factor: its pixels stay visible
PHOTO_SCALE = 4   # and each is drawn this many screen pixels wide


def pad_grid(x: np.ndarray, pad: int) -> np.ndarray:
    """Zeros around the first two axes (height and width) of a grid or an (H, W, C) picture."""
    widths = [(pad, pad), (pad, pad)] + [(0, 0)] * (np.ndim(x) - 2)
    return np.pad(x, widths)


@dataclass
class PaddingState:
    pad: int
    x: np.ndarray
    expected: np.ndarray
    border: set[tuple[int, int]]  # the cells of the zero border, in the padded grid
    shapes: str
    grid: Check                   # the learner's zero_pad on the small array
    photo_message: tuple[str, str] | None = None  # (kind, text) for the photograph
    photo_value: np.ndarray | None = None         # the learner's padded photograph, if it differs


def padding_state(pad: int, zero_pad=None, x: np.ndarray = SMALL,
                  picture: np.ndarray | None = None) -> PaddingState:
    """Everything the padding explorer shows for ``pad``, without drawing it."""
    x = np.asarray(x)
    expected = pad_grid(x, pad)
    n_h, n_w = expected.shape
    border = {(r, c) for r in range(n_h) for c in range(n_w)
              if r < pad or c < pad or r >= n_h - pad or c >= n_w - pad}
    h, w = x.shape
    shapes = (f"X.shape = (1, {h}, {w}, 1)  →  zero_pad(X, {pad}).shape = (1, {n_h}, {n_w}, 1): "
              f"height {h} + 2·{pad} = {n_h}, width {w} + 2·{pad} = {n_w}; the examples (m) and the "
              "channels (n_C) are not padded.")
    grid = core.check("zero_pad", zero_pad, (x[None, :, :, None].astype(float), pad),
                      lambda r: core.as_array(r, (1, n_h, n_w, 1), "the result")[0, :, :, 0],
                      expected.astype(float), "padded array")
    state = PaddingState(pad, x, expected, border, shapes, grid)
    if zero_pad is not None and grid.status != "failed" and picture is not None:
        state.photo_message, state.photo_value = _photo_check(zero_pad, picture, pad)
    return state


def _photo_check(zero_pad, picture: np.ndarray, pad: int):
    want = pad_grid(picture, pad)
    result, message = core.attempt("zero_pad", zero_pad, picture[None], pad)
    if message:
        return ("error", message), None
    try:
        got = core.as_array(result, (1,) + want.shape, "its result on the photograph")[0]
    except core.Unusable as err:
        return ("error", f"zero_pad: {err}."), None
    if np.allclose(got, want):
        return core.gate("ok", "your zero_pad pads the photograph as expected (pictured).",
                         "zero_pad", core.check_failure("zero_pad", zero_pad)), None
    bad = np.argwhere(~np.isclose(got, want).all(axis=2))
    return ("bad", f"your zero_pad changes {len(bad)} of {want.shape[0] * want.shape[1]} pixels of "
                   "the photograph: your result is drawn on the right, the differing pixels framed."
            ), got


# The photograph -----------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def photo() -> np.ndarray:
    """Matplotlib's sample photograph of Grace Hopper, shrunk to about 50 × 42, values in [0, 1].

    A smooth synthetic picture stands in if the sample data is not installed."""
    try:
        from matplotlib import cbook, image
        big = image.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
        big = np.asarray(big, dtype=float)[..., :3] / 255.0
    except Exception:  # matplotlib without its sample data
        yy, xx = np.mgrid[0:600, 0:512] / 600.0
        big = np.stack([yy, xx, 1 - (yy + xx) / 2], axis=-1)
    h, w = (s // PHOTO_BLOCK * PHOTO_BLOCK for s in big.shape[:2])
    return big[:h, :w].reshape(h // PHOTO_BLOCK, PHOTO_BLOCK, w // PHOTO_BLOCK, PHOTO_BLOCK, 3
                               ).mean(axis=(1, 3))


def png_uri(picture: np.ndarray) -> str:
    from matplotlib import image
    buf = io.BytesIO()
    image.imsave(buf, np.clip(picture, 0, 1), format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


@functools.lru_cache(maxsize=1)
def _photo_uri() -> str:
    # Encoded once: every redraw reuses the same data URI, which the browser keeps decoded.
    return png_uri(photo())


def photo_svg(state: PaddingState) -> str:
    """The photograph, and the photograph padded (zeros are black), the border marked."""
    pic = photo()
    h, w = pic.shape[:2]
    s, p = PHOTO_SCALE, state.pad
    uri = _photo_uri()
    pictures = [("photo: (1, %d, %d, 3)" % (h, w), h, w, [
        f"<image href='{uri}' x='0' y='0' width='{w * s}' height='{h * s}' "
        "style='image-rendering:pixelated' preserveAspectRatio='none'/>"])]
    padded = [f"<rect x='0' y='0' width='{(w + 2 * p) * s}' height='{(h + 2 * p) * s}' fill='#000'/>",
              f"<image href='{uri}' x='{p * s}' y='{p * s}' width='{w * s}' height='{h * s}' "
              "style='image-rendering:pixelated' preserveAspectRatio='none'/>"]
    if p:
        padded.append(f"<rect x='{p * s - 1}' y='{p * s - 1}' width='{w * s + 2}' height='{h * s + 2}' "
                      f"fill='none' stroke='{drawing.SOURCE}' stroke-width='2' stroke-dasharray='5 3'/>")
    pictures.append((f"zero_pad: (1, {h + 2 * p}, {w + 2 * p}, 3)", h + 2 * p, w + 2 * p, padded))
    if state.photo_value is not None:
        mine = state.photo_value
        bad = np.argwhere(~np.isclose(mine, pad_grid(pic, p)).all(axis=2))
        marks = [f"<image href='{png_uri(mine)}' x='0' y='0' width='{mine.shape[1] * s}' "
                 f"height='{mine.shape[0] * s}' style='image-rendering:pixelated' "
                 "preserveAspectRatio='none'/>"]
        if len(bad):
            (r0, c0), (r1, c1) = bad.min(axis=0), bad.max(axis=0)
            marks.append(f"<rect x='{c0 * s}' y='{r0 * s}' width='{(c1 - c0 + 1) * s}' "
                         f"height='{(r1 - r0 + 1) * s}' fill='none' stroke='{drawing.DIFF}' "
                         "stroke-width='3' stroke-dasharray='6 3'/>")
        pictures.append(("your zero_pad", mine.shape[0], mine.shape[1], marks))
    top = 26
    tallest = max(ph for _, ph, _, _ in pictures) * s
    x, body = 12, []
    for title, ph, pw, parts in pictures:
        y = top + (tallest - ph * s) / 2
        body.append(f"<text x='{x + pw * s / 2}' y='{y - 8}' text-anchor='middle' "
                    f"font-size='13'>{title}</text>")
        body.append(f"<g transform='translate({x},{y})'>" + "".join(parts) + "</g>")
        x += max(pw * s, len(title) * drawing.CHAR) + 40
    width, height = x - 28, top + tallest + 12
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
            f"viewBox='0 0 {width} {height}' {drawing.FONT}>"
            "<rect width='100%' height='100%' fill='#ffffff'/>" + "".join(body) + "</svg>")


# Drawing ------------------------------------------------------------------------------

def panels(state: PaddingState) -> tuple[list[Panel], list[str]]:
    """The small array, the expected padded array and, if given, the learner's."""
    h, w = state.x.shape
    n_h, n_w = state.expected.shape
    fills = {cell: PAD_FILL for cell in state.border}
    out = [Panel(state.x, f"X: {h} × {w}", axes=True),
           Panel(state.expected, f"zero_pad(X, {state.pad}): {n_h} × {n_w}", fills=fills, axes=True)]
    arrows = [f"pad = {state.pad}"]
    if state.grid.value is not None:
        out.append(Panel(state.grid.value, "your zero_pad", fills=fills, diffs=state.grid.diffs,
                         axes=True))
        arrows.append(None)
    return out, arrows


def render(state: PaddingState) -> str:
    parts = [core.svg(photo_svg(state))]
    if state.photo_message:
        parts.append(core.message(*state.photo_message))
    parts.append(core.svg(figure(*panels(state))))
    parts.append(core.legend("pad", diff=bool(state.grid.diffs)))
    parts.append(core.formula(state.shapes))
    for kind, text in core.check_lines(state.grid, "padded array"):
        parts.append(core.message(kind, text))
    if state.grid.status == "absent":
        parts.append(core.expected_only("explore_padding(zero_pad=zero_pad)"))
    return core.page(*parts)


def explore_padding(zero_pad=None):
    """Move the pad slider: a photograph and a small array, padded with zeros.

    With your ``zero_pad`` the explorer shows your result beside the expected one and
    frames every value that differs.
    """
    picture = photo()
    controls = {"pad": core.slider("pad", 1, 0, MAX_PAD)}

    def draw(c):
        return render(padding_state(c["pad"].value, zero_pad, picture=picture))

    return core.make_explorer("padding", controls, [["pad"]], draw)

"""What the four explorers share: calling the learner's function safely, comparing its
result with the expected one, the window arithmetic, HTML pieces and the widget shell.

Nothing here has the name and signature of a graded exercise: this package is part of
the student bundle, so it must not hand out a solution under the exercise's name.
"""

from __future__ import annotations

import copy
import traceback
import warnings
from dataclasses import dataclass, field
from html import escape
from typing import Any, Callable

import numpy as np

from cnnbook import drawing
from cnnbook.checker import learner_line

# Message kinds and how they look: a symbol as well as a colour, for colour-blind readers.
KINDS = {"ok": ("✓", "#007a5a"), "bad": ("≠", "#8c2d6b"), "error": ("!", "#b34700"),
         "info": ("i", "#555555")}


class Unusable(Exception):
    """The learner's result cannot be compared (wrong type or shape); the text says why."""


# Calling the learner's function ----------------------------------------------------

def attempt(name: str, fn: Callable, *args) -> tuple[Any, str]:
    """Call ``fn`` on copies of ``args``; return (result, "") or (None, a one-line message)."""
    if not callable(fn):
        return None, f"{name} should be your function itself, as in {name}={name}; got {fn!r:.60}."
    try:
        with warnings.catch_warnings():
            # A learner's RuntimeWarning belongs to the exercise's check, not to this picture.
            warnings.simplefilter("ignore")
            result = fn(*copy.deepcopy(args))
    except NotImplementedError as err:
        inner = traceback.extract_tb(err.__traceback__)[-1].name
        if inner not in (name, getattr(fn, "__name__", name)) and inner.isidentifier():
            return None, (f"{name} calls {inner}, which is not implemented yet: the expected "
                          "result is shown alone.")
        return None, f"{name} is not implemented yet: the expected result is shown alone."
    except Exception as err:  # any bug of the learner's code becomes one line, never a traceback
        text = str(err).splitlines()[0] if str(err) else ""
        return None, (f"{name} raised {type(err).__name__}" + (f": {text[:160]}" if text else "")
                      + learner_line(err) + ".")
    if result is None:
        return None, f"{name} returned None: is its return statement missing?"
    return result, ""


def as_array(result, shape: tuple[int, ...], what: str) -> np.ndarray:
    """``result`` as an array of numbers of ``shape``, or Unusable saying what is wrong."""
    try:
        got = np.asarray(result)
    except Exception:  # ragged lists and the like
        raise Unusable(f"{what} is not an array") from None
    if got.dtype == object or not (np.issubdtype(got.dtype, np.number) or got.dtype == bool):
        raise Unusable(f"{what} holds {got.dtype} values, not numbers")
    if got.shape != tuple(shape):
        raise Unusable(f"{what} has shape {got.shape}; expected {tuple(shape)}")
    return got.astype(float)


def fmt(x: float) -> str:
    """A number as a learner writes it: 6, 0.5, -1.25 (no np.float64(...))."""
    x = float(x)
    if x == 0:
        return "0"
    return f"{x:.4g}"


@dataclass
class Check:
    """The learner's result for one picture, beside the expected one."""
    name: str
    given: bool = False
    value: np.ndarray | None = None  # the learner's 2-D grid, when it could be read
    message: str = ""                # why there is no value, or how it differs
    diffs: dict[tuple[int, int], str] = field(default_factory=dict)  # cell -> expected value
    note: str = ""                   # an extra remark (which tie convention it follows)
    failure: str = ""                # why the function fails its graded check, if it does

    @property
    def status(self) -> str:
        if not self.given:
            return "absent"
        if self.value is None:
            return "failed"
        return "differs" if self.diffs else "matches"


def check(name: str, fn: Callable | None, args: tuple, read: Callable[[Any], np.ndarray],
          expected: np.ndarray, what: str, alternatives: dict[str, np.ndarray] | None = None) -> Check:
    """Run the learner's ``fn`` and compare ``read(result)`` with ``expected``.

    ``alternatives`` maps a remark to another grid that is just as right (the other
    convention at a tie in max pooling): matching it counts as matching.
    """
    if fn is None:
        return Check(name)
    result, message = attempt(name, fn, *args)
    if message:
        return Check(name, True, message=message)
    found = compare(name, result, read, expected, what, alternatives)
    found.failure = check_failure(name, fn)
    return found


_FAILURES: dict = {}
_NOT_WRITTEN: set = set()


def _key(name: str, fn):
    try:
        key = (name, fn)
        hash(key)
        return key
    except TypeError:
        return (name, id(fn))


def check_failure(name: str, fn) -> str:
    """Why the learner's ``fn`` fails the public check of exercise ``name`` ("" if it passes,
    or if it is not implemented yet), computed once per function. A function that passes only
    with correct helpers swapped in for failing ones of the learner's counts as failing: the
    explorer runs it with the learner's own helpers."""
    if not callable(fn):
        return ""
    key = _key(name, fn)
    if key not in _FAILURES:
        import contextlib
        import io

        from cnnbook.checker import CheckFailed, NotImplementedYet
        from cnnbook.checker import check_note as run_check

        try:
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _FAILURES[key] = run_check(name, fn, quiet=True)
        except NotImplementedYet:
            _FAILURES[key] = ""
            _NOT_WRITTEN.add(key)
        except CheckFailed as err:
            _FAILURES[key] = str(err)
        except Exception as err:  # a check never raises anything else; say so rather than hide it
            _FAILURES[key] = f"its check stopped with {type(err).__name__}: {err}"
    return _FAILURES[key]


def passes(name: str, fn) -> bool:
    """Whether the learner's ``fn`` is written and passes the public check of ``name``."""
    return callable(fn) and not check_failure(name, fn) and _key(name, fn) not in _NOT_WRITTEN


def gate(kind: str, text: str, name: str, failure: str) -> tuple[str, str]:
    """An "ok" line turned into a warning when the function fails its check: what is right at
    this setting says nothing of the case the check failed on."""
    if kind != "ok" or not failure:
        return kind, text
    return "error", (f"{text.rstrip('.')} at this setting, but your {name} fails its check "
                     f"above: {failure} Try that case here.")


def compare(name: str, result, read: Callable[[Any], np.ndarray], expected: np.ndarray, what: str,
            alternatives: dict[str, np.ndarray] | None = None) -> Check:
    """Compare ``read(result)``, a result of the learner's ``name``, with ``expected``."""
    try:
        got = read(result)
    except Unusable as err:
        return Check(name, True, message=f"{name}: {err}.")
    for remark, grid in [("", expected)] + list((alternatives or {}).items()):
        if grid.shape == got.shape and np.allclose(got, grid, rtol=1e-6, atol=1e-7):
            return Check(name, True, value=got, note=remark)
    bad = np.argwhere(~np.isclose(got, expected, rtol=1e-6, atol=1e-7))
    diffs = {(int(r), int(c)): fmt(expected[r, c]) for r, c in bad}
    return Check(name, True, value=got, diffs=diffs,
                 message=f"your {name} differs from the expected {what} at {len(diffs)} of "
                         f"{expected.size} cells (framed, ≠; hover a cell for its expected value).")


def check_lines(c: Check, what: str) -> list[tuple[str, str]]:
    """The message lines of a check: (kind, text)."""
    if c.status == "absent":
        return []
    if c.status == "failed":
        return [("error", c.message)]
    if c.status == "differs":
        return [("bad", c.message)]
    return [gate("ok", f"your {c.name} gives the expected {what}." + (f" {c.note}" if c.note else ""),
                 c.name, c.failure)]


# Window arithmetic ----------------------------------------------------------------

def out_size(n: int, f: int, pad: int, stride: int) -> int:
    """How many window positions fit along one axis (0 when the window does not fit)."""
    span = n + 2 * pad - f
    return span // stride + 1 if span >= 0 else 0


def covered(n_total: int, f: int, stride: int, n_out: int) -> set[int]:
    """Indices along one axis that at least one window covers."""
    return {k * stride + j for k in range(n_out) for j in range(f)} & set(range(n_total))


AXES = {"both": ("row and column", "rows and columns"), "rows": ("row", "rows"),
        "cols": ("column", "columns")}


def size_formula(n: int, f: int, pad: int, stride: int, out: str = "n_H", inp: str = "n_H_prev",
                 with_pad: bool = True, axis: str = "both") -> tuple[str, str]:
    """The output-size formula with the current numbers, and a note on the floor or the gaps.

    Returns (formula, note); the note is "" when every index is reached and nothing is dropped.
    ``axis`` names what the indices are in the note: "both" (a square input), "rows" or "cols".
    """
    one, many = AXES[axis]
    span = n + 2 * pad - f
    total = n + 2 * pad
    head = (f"{out} = ⌊({inp} + 2·pad − f) / stride⌋ + 1 = ⌊({n} + 2·{pad} − {f}) / {stride}⌋ + 1"
            if with_pad else f"{out} = ⌊({inp} − f) / stride⌋ + 1 = ⌊({n} − {f}) / {stride}⌋ + 1")
    if span < 0:
        return head + f" = ⌊{span} / {stride}⌋ + 1: no window fits.", ""
    q, rest = divmod(span, stride)
    if rest:
        formula = f"{head} = ⌊{span}/{stride}⌋ + 1 = ⌊{fmt(span / stride)}⌋ + 1 = {q} + 1 = {q + 1}"
    else:
        formula = f"{head} = {span}/{stride} + 1 = {q} + 1 = {q + 1}"
    notes = []
    last = q * stride
    if rest:
        tail = list(range(last + f, total))
        which = (f"{one} {tail[0]} is" if len(tail) == 1
                 else f"{many} {', '.join(map(str, tail))} are")
        notes.append(f"{span} is not a multiple of the stride {stride}, so the floor drops a "
                     f"partial step: the window starts at {_starts(q + 1, stride)}; one more step "
                     f"would start at {last + stride} and need index {last + stride + f - 1}, past "
                     f"the last one, {total - 1}. So {which} never reached (hatched).")
    if stride > f:
        gaps = sorted(set(range(last + f)) - covered(total, f, stride, q + 1))
        which = f"{one} {gaps[0]}" if len(gaps) == 1 else f"{many} {', '.join(map(str, gaps))}"
        notes.append(f"The stride {stride} is larger than f = {f}: between two steps the window "
                     f"jumps over {which} (hatched).")
    return formula, " ".join(notes)


def _starts(count: int, stride: int) -> str:
    values = [k * stride for k in range(count)]
    if len(values) > 4:
        return f"{values[0]}, {values[1]}, …, {values[-1]}"
    return ", ".join(map(str, values[:-1])) + (" and " if len(values) > 1 else "") + str(values[-1])


def unreached(total: int, f: int, stride: int, n_out: int) -> list[int]:
    return sorted(set(range(total)) - covered(total, f, stride, n_out))


# HTML pieces ------------------------------------------------------------------------

def svg(figure_svg: str) -> str:
    """A drawing that shrinks with a narrow page instead of overflowing it."""
    return ("<div class='cnnbook-figure' style='margin:2px 0'>"
            + figure_svg.replace("<svg ", "<svg style='max-width:100%;height:auto' ", 1) + "</div>")


def message(kind: str, text: str) -> str:
    symbol, colour = KINDS[kind]
    return (f"<div class='cnnbook-msg cnnbook-msg-{kind}' style='color:{colour};margin:2px 0'>"
            f"<b>{symbol}</b> {escape(text)}</div>")


def expected_only(call: str, yours: str = "function") -> str:
    """The note under a view drawn without the learner's code: how to pass it, as in ``call``."""
    return message("info", f"The expected result is shown. Pass your {yours}, as in {call}, to see "
                           "yours beside it.")


def formula(text: str) -> str:
    return ("<div class='cnnbook-formula' style='font-family:DejaVu Sans Mono, Menlo, Consolas, "
            f"monospace;margin:3px 0;white-space:pre-wrap'>{escape(text)}</div>")


def paragraph(text: str) -> str:
    return f"<div class='cnnbook-note' style='margin:3px 0;max-width:62em'>{escape(text)}</div>"


def page(*parts: str) -> str:
    return ("<div class='cnnbook-view-body' style='font-family:DejaVu Sans, Helvetica, Arial, "
            "sans-serif;font-size:13px;line-height:1.4'>" + "".join(p for p in parts if p) + "</div>")


LEGEND = {
    "window": (drawing.WINDOW, "the window"),
    "source": (drawing.SOURCE, "feeds / receives"),
    "pad": (drawing.PAD_FILL, "zero padding"),
}


def legend(*keys, hatch: bool = False, diff: bool = False, notes: tuple[str, ...] = ()) -> str:
    """A one-line key to the colours and marks used in the drawing: each key is a name in
    LEGEND or a (colour, label) pair; ``notes`` are further plain-text entries."""
    items = []
    for key in keys:
        colour, label = LEGEND[key] if isinstance(key, str) else key
        items.append(f"<span style='display:inline-block;width:12px;height:12px;background:{colour};"
                     f"border:1px solid #555;vertical-align:-2px'></span> {label}")
    if hatch:
        items.append("<span style='display:inline-block;width:12px;height:12px;border:1px solid #555;"
                     f"background:repeating-linear-gradient(135deg,#fff 0 3px,{drawing.HATCH} 3px 4px);"
                     "vertical-align:-2px'></span> never reached")
    if diff:
        items.append(f"<span style='display:inline-block;width:10px;height:10px;border:2px dashed "
                     f"{drawing.DIFF};vertical-align:-2px'></span> differs from the expected value")
    items.extend(escape(n) for n in notes)
    return ("<div class='cnnbook-legend' style='color:#444;font-size:12px;margin:2px 0'>"
            + " &nbsp; ".join(items) + "</div>")


# The widget shell -------------------------------------------------------------------

def _widgets():
    import ipywidgets  # imported here: the pure state above needs no widgets
    return ipywidgets


def slider(description: str, value: int, low: int, high: int):
    w = _widgets()
    return w.IntSlider(value=value, min=low, max=high, step=1, description=description,
                       continuous_update=True, style={"description_width": "initial"},
                       layout=w.Layout(width="230px"))


def toggle(description: str, options: list[str], value: str):
    w = _widgets()
    # ToggleButtons is a block by default: its label would sit above the buttons.
    return w.ToggleButtons(options=options, value=value, description=description,
                           style={"description_width": "initial", "button_width": "auto"},
                           layout=w.Layout(display="flex", align_items="center", width="auto",
                                           margin="2px 16px 2px 2px"))


def fit_slider(s, high: int) -> None:
    """Set a position slider's range to 0..high (disabled when nothing fits)."""
    # noUiSlider cannot draw a range whose ends are equal: keep 0..1 and disable it instead.
    high = max(high, 0)
    if s.value > high:
        s.value = high
    s.max = max(high, 1)
    s.disabled = high == 0


def make_explorer(kind: str, controls: dict, rows: list[list[str]], draw: Callable[[dict], str]):
    """A VBox of rows of controls above one HTML view that ``draw(values)`` fills.

    The view is redrawn in place (one HTML string) once per change of any control: dependent
    controls adjusted inside ``draw`` do not trigger a second drawing.
    """
    w = _widgets()
    view = w.HTML()
    view.add_class("cnnbook-view")
    box = w.VBox([w.HBox([controls[name] for name in row], layout=w.Layout(flex_flow="row wrap"))
                  for row in rows] + [view])
    box.add_class("cnnbook-explorer")
    box.add_class(f"cnnbook-{kind}")
    busy = []

    def refresh(change=None):
        if busy:
            return
        busy.append(True)
        try:
            html = draw(controls)
        except Exception as err:  # a bug of the explorer itself: one line, not a traceback
            html = page(message("error", f"the explorer failed: {type(err).__name__}: {err}"))
        finally:
            busy.clear()
        if html != view.value:
            view.value = html

    for control in controls.values():
        if hasattr(control, "value"):
            control.observe(refresh, names="value")
    box.controls, box.view, box.refresh = controls, view, refresh
    refresh()
    return box

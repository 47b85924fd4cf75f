"""The layers of Assignment 2 for Assignment 3: the learner's own, or the given ones on request.

    from cnnbook.given import assignment2_layers
    Convolution, MaxPool = assignment2_layers()

Assignment 3's network needs Assignment 2's ``Convolution`` and ``MaxPool``. Where
``fast_layers.py`` lies beside the notebook (``python start.py layers`` copies it there: it
holds Assignment 2's answers; the grader has it too) they come from it. Otherwise they come
from the learner's own ``../assignment2/fast_layers.ipynb``, once its im2col, col2im,
Convolution and MaxPool pass their public checks; until then a one-line message says what to do.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

__all__ = ["LayersMissing", "assignment2_layers"]

NEEDED = ("im2col", "col2im", "Convolution", "MaxPool")


class LayersMissing(NotImplementedError):
    """Assignment 2's layers are not available yet. In a notebook it shows as one line."""

    def _render_traceback_(self):
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


def assignment2_layers(folder=".", quiet: bool = False):
    """(Convolution, MaxPool): from fast_layers.py in ``folder`` if it is there, else the
    learner's own from the Assignment 2 notebook beside ``folder``, if they pass their checks."""
    from cnnbook import score

    folder = Path(folder).resolve()
    if (folder / "fast_layers.py").exists():
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
        sys.modules.pop("fast_layers", None)
        module = importlib.import_module("fast_layers")
        if not quiet:
            print("Using the given layers of fast_layers.py (the answers of Assignment 2).")
        return module.Convolution, module.MaxPool
    mine = folder.parent / "assignment2" / "fast_layers.ipynb"
    if not mine.exists():
        return _missing("Assignment 3 needs the layers of Assignment 2, and there is no "
                        f"{mine.parent.name}/{mine.name} beside this folder: do Assignment 2 "
                        "first, or copy the given layers with `python start.py layers`", quiet)
    namespace, _ = score.run_notebook(mine)
    failing = [name for name in NEEDED
               if not score.score_exercise(name, namespace.get(name), 1).passed]
    if failing:
        return _missing(f"Assignment 3 uses your Convolution and MaxPool of Assignment 2, and "
                        f"your {', '.join(failing)} in {mine.parent.name}/{mine.name} do not "
                        "pass their checks yet: finish them there (and save), or copy the given "
                        "layers, which hold Assignment 2's answers, with `python start.py layers`",
                        quiet)
    if not quiet:
        print(f"Using your own Convolution and MaxPool from {mine.parent.name}/{mine.name} "
              "(they and your im2col and col2im pass their public checks).")
    return namespace["Convolution"], namespace["MaxPool"]


def _missing(why: str, quiet: bool):
    """Stand-ins for Convolution and MaxPool that raise ``why`` when a layer is made."""
    if not quiet:
        print(f"\x1b[0;31mNo layers of Assignment 2 yet:\x1b[0m {why}.")

    def stand_in(name):
        def __init__(self, *args, **kwargs):
            raise LayersMissing(why)
        return type(name, (), {"__init__": __init__, "__doc__": f"Not available yet: {why}."})

    return stand_in("Convolution"), stand_in("MaxPool")

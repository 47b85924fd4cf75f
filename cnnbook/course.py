"""The course in order: its assignments, their notebooks and the points of each exercise.

The points are those of the graded cells of the notebooks (a test checks that this table
and the notebooks' nbgrader metadata agree). The score (``python start.py score``, the last
cell of every notebook) and the start page read them from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Notebook:
    assignment: str
    name: str                          # the file name without .ipynb
    title: str
    exercises: tuple[tuple[str, int], ...]   # (exercise, points), in the notebook's order

    @property
    def path(self) -> str:
        """The notebook's path relative to work/ (and to notebooks/)."""
        return f"{self.assignment}/{self.name}.ipynb"

    @property
    def points(self) -> int:
        return sum(p for _, p in self.exercises)


@dataclass(frozen=True)
class Assignment:
    name: str
    title: str
    notebooks: tuple[Notebook, ...]

    @property
    def points(self) -> int:
        return sum(nb.points for nb in self.notebooks)


def _nb(assignment, name, title, *exercises):
    return Notebook(assignment, name, title, tuple(exercises))


ASSIGNMENTS = (
    Assignment("assignment1", "Convolution step by step", (
        _nb("assignment1", "part1_forward", "Part 1: the forward pass",
            ("zero_pad", 5), ("conv_single_step", 5), ("conv_forward", 15), ("pool_forward", 15)),
        _nb("assignment1", "part2_backward", "Part 2: the backward pass",
            ("conv_backward", 20), ("create_mask_from_window", 5), ("distribute_value", 5),
            ("pool_backward", 15)),
    )),
    Assignment("assignment2", "Fast layers with im2col", (
        _nb("assignment2", "fast_layers", "Fast layers with im2col",
            ("im2col", 15), ("col2im", 15), ("Convolution", 30), ("MaxPool", 20), ("AvgPool", 20)),
    )),
    Assignment("assignment3", "Train your own CNN", (
        _nb("assignment3", "train_cnn", "Train your own CNN",
            ("Relu", 10), ("Dense", 15), ("SoftmaxCrossEntropy", 20), ("SimpleCNN", 25),
            ("sgd_step", 10)),
    )),
)

NOTEBOOKS = tuple(nb for a in ASSIGNMENTS for nb in a.notebooks)


def notebook(path: str) -> Notebook:
    """The notebook at ``assignment/name`` (with or without .ipynb)."""
    path = path.removesuffix(".ipynb")
    for nb in NOTEBOOKS:
        if nb.path.removesuffix(".ipynb") == path:
            return nb
    raise KeyError(f"no notebook {path!r} in the course")


def assignment(name: str) -> Assignment:
    for a in ASSIGNMENTS:
        if a.name == name:
            return a
    raise KeyError(f"no assignment {name!r} in the course")


def next_notebook(nb: Notebook) -> Notebook | None:
    i = NOTEBOOKS.index(nb)
    return NOTEBOOKS[i + 1] if i + 1 < len(NOTEBOOKS) else None

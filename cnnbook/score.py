"""Your score: points earned per exercise, per notebook, per assignment, and the total.

    python start.py score            every notebook of work/ (what `python -m cnnbook.score` does)
    notebook_score(globals(), "assignment1/part1_forward")    the last cell of a notebook

From the command line the score runs the same checks as the grader's test cells: the public
tests and, where they are installed (a clone of the workbook), the hidden tests; in a student
bundle the public tests only. It says which. A graded cell earns its points when every check in
it passes, and nothing otherwise, as in the grader. The learner's code is run here, in this
process, from the notebooks' answer cells and the cells that only import or define things
(the training and the speed lab are not run).

In a notebook, the last cell shows the table of that notebook from the public tests only,
with the functions the kernel holds: the hidden tests never run in a learner's kernel.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import os
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from cnnbook import checker, course

__all__ = ["ExerciseResult", "score_exercise", "notebook_score", "score_work", "main"]


@dataclass
class ExerciseResult:
    name: str
    possible: int
    earned: int = 0
    message: str = ""       # why it lost its points, the checker's whole message
    note: str = ""          # passed, but with a correct helper in place of a failing one of the learner's

    @property
    def passed(self) -> bool:
        return self.earned == self.possible


def score_exercise(name: str, target, points: int, suites=("public",)) -> ExerciseResult:
    """Run the ``suites`` of exercise ``name`` on ``target``: all points if every one passes."""
    result = ExerciseResult(name, points)
    if target is None:
        result.message = f"{name} is not defined: run its cell (and the cells above it)"
        return result
    notes = []
    for suite in suites:
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                note = checker.check_note(name, target, suite=suite, quiet=True)
        except checker.CheckFailed as err:
            result.message = str(err)
            return result
        except Exception as err:  # a check should not raise anything else; say so, lose the points
            result.message = f"the check of {name} stopped with {type(err).__name__}: {err}"
            return result
        if note and note not in notes:
            notes.append(note)
    result.earned = points
    result.note = " ".join(notes)
    return result


# The table ----------------------------------------------------------------------------

def _line(label: str, earned, possible, width: int = 34) -> str:
    return f"{label:<{width}} {earned:>4} / {possible}"


def _exercise_lines(results: list[ExerciseResult], indent: str = "    ") -> list[str]:
    lines = []
    for r in results:
        mark = "✓" if r.passed else "✗"
        lines.append(f"{indent}{mark} " + _line(r.name, r.earned, r.possible, 32 - len(indent)))
        if r.message:
            lines.append(f"{indent}    {r.message}")
        if r.note:
            lines.append(f"{indent}    passes, {r.note}")
    return lines


def notebook_score(namespace: dict, path: str) -> None:
    """Print this notebook's table from the public tests, with the kernel's functions."""
    nb = course.notebook(path)
    results = [score_exercise(name, namespace.get(name), points) for name, points in nb.exercises]
    earned = sum(r.earned for r in results)
    print(f"Your score in {nb.path}, from the public tests: {earned} / {nb.points}")
    print("\n".join(_exercise_lines(results, indent="  ")))
    print("(Run every cell above first. The grader also runs hidden tests: other shapes, strides "
          "and paddings. `python start.py score` shows all assignments.)")
    following = course.next_notebook(nb)
    if following is not None and earned == nb.points:
        print(f"All public tests pass: go on with {following.path}.")


# Running a learner's notebook outside a kernel ------------------------------------------

def _only_definitions(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return bool(tree.body) and all(isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef,
                                                     ast.ClassDef, ast.Assign)) for node in tree.body)


def _without_magics(source: str) -> str:
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def program(path: Path) -> list[tuple[str, str]]:
    """(label, code) of the cells of a notebook the score runs: answer cells, locked cells
    that are not tests (the setup, given functions), and cells that only import, define or
    assign (Assignment 3's layers); not the loops of the speed lab, training or plots."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    out = []
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = _without_magics("".join(source) if isinstance(source, list) else source)
        nbg = cell.get("metadata", {}).get("nbgrader", {})
        label = nbg.get("grade_id") or f"cell {i + 1}"
        if nbg.get("grade") or label == "score":
            continue
        if nbg.get("solution") or (nbg.get("locked") and "check(" not in source) \
                or _only_definitions(source):
            out.append((label, source))
    return out


def run_notebook(path: Path) -> tuple[dict, list[str]]:
    """The names a notebook's code defines, and the errors its cells raised, run in this
    process with the notebook's folder as working directory (as a kernel has it)."""
    path = Path(path).resolve()
    namespace: dict = {"__name__": "__main__"}
    errors = []
    folder = str(path.parent.resolve())
    old_cwd, old_path = os.getcwd(), list(sys.path)
    os.chdir(folder)
    sys.path.insert(0, folder)
    sys.modules.pop("fast_layers", None)  # each folder's own given code
    try:
        for label, code in program(path):
            out = io.StringIO()
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out), \
                        warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    exec(compile(code, f"<{path.name}: {label}>", "exec"), namespace)
            except Exception as err:
                last = traceback.format_exception_only(type(err), err)[-1].strip()
                errors.append(f"the cell {label} raised {last}")
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path
    return namespace, errors


@dataclass
class NotebookResult:
    notebook: course.Notebook
    found: bool
    results: list[ExerciseResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def earned(self) -> int:
        return sum(r.earned for r in self.results)


def hidden_installed() -> bool:
    return all("hidden" in checker.available_suites(name)
               for nb in course.NOTEBOOKS for name, _ in nb.exercises)


def score_work(work: Path, suites: tuple[str, ...]) -> list[NotebookResult]:
    import matplotlib

    matplotlib.use("Agg")  # no window for a figure a cell draws
    out = []
    work = Path(work).resolve()
    for nb in course.NOTEBOOKS:
        path = work / nb.path
        if not path.exists():
            out.append(NotebookResult(nb, False, [ExerciseResult(n, p, message="not started")
                                                  for n, p in nb.exercises]))
            continue
        namespace, errors = run_notebook(path)
        results = [score_exercise(n, namespace.get(n), p, suites) for n, p in nb.exercises]
        out.append(NotebookResult(nb, True, results, errors))
    return out


def report(work: Path, suites: tuple[str, ...], results: list[NotebookResult]) -> str:
    which = ("the public tests and the grader's hidden tests (installed in this clone)"
             if "hidden" in suites else
             "the public tests only (the hidden tests are on the grader's machine: "
             "they may still find mistakes these miss)")
    lines = [f"Score of the notebooks in {work}", f"from {which}.", ""]
    by_assignment: dict[str, list[NotebookResult]] = {}
    for r in results:
        by_assignment.setdefault(r.notebook.assignment, []).append(r)
    # The workbook's own notebooks/ (beside work/) says what has been handed out: a student
    # bundle of Assignment 1 counts Assignment 1's points only.
    handed_out = Path(work).parent / "notebooks"
    total = possible = 0
    for a in course.ASSIGNMENTS:
        rs = by_assignment[a.name]
        if handed_out.is_dir() and not any((handed_out / r.notebook.path).exists() for r in rs) \
                and not any(r.found for r in rs):
            lines += [f"{a.name}: {a.title}: not handed out yet", ""]
            continue
        earned = sum(r.earned for r in rs)
        total, possible = total + earned, possible + a.points
        lines.append(_line(f"{a.name}: {a.title}", earned, a.points, 44))
        for r in rs:
            state = "" if r.found else "  (not in work/ yet)"
            lines.append("  " + _line(r.notebook.path, r.earned, r.notebook.points, 42) + state)
            for err in r.errors:
                lines.append(f"      ! {err}")
            if r.found:
                lines.extend(_exercise_lines(r.results, indent="      "))
        lines.append("")
    lines.append(_line("Total", total, possible, 44))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python start.py score", description=__doc__.splitlines()[0])
    parser.add_argument("work", nargs="?", type=Path, default=Path("work"),
                        help="the folder of your notebooks (default: work)")
    parser.add_argument("--public", action="store_true",
                        help="run the public tests only, even where the hidden ones are installed")
    args = parser.parse_args(argv)
    if not args.work.is_dir():
        print(f"there is no folder {args.work}: run `python start.py` first", file=sys.stderr)
        return 1
    suites = ("public",) if args.public or not hidden_installed() else ("public", "hidden")
    results = score_work(args.work, suites)
    print(report(args.work, suites, results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

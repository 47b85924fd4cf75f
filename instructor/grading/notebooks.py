"""Notebooks: what the instructor's source says about each cell, and what a submission
becomes once its locked cells are put back.

The source notebook (``solutions/<assignment>/<name>.ipynb``) is the only authority on
which cells are graded, for how many points, and what the locked and test cells say.
A submitted notebook contributes its answer cells (matched by nbgrader ``grade_id``) and
any cells the learner added; its copies of locked and test cells, and its cell metadata,
are ignored, so editing, deleting or relabelling them changes nothing but is reported.

The contract the out-of-kernel grader relies on: a graded test cell may read only the
names the source's locked cells before the first answer cell bind (the setup: imports),
the names the answer cells define, and its own. ``check_contract`` enforces it before
grading.
"""

from __future__ import annotations

import ast
import builtins
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
MAX_NOTEBOOK_BYTES = 50 << 20
# Assignments to attributes of these modules in learner code are reported as tampering.
WATCHED_MODULES = {"np", "numpy", "builtins", "__builtins__", "public_tests", "cnnbook", "checker",
                   "sys", "math", "unittest", "warnings"}


def _text(source) -> str:
    if isinstance(source, list):  # nbformat's list of lines; a hand-edited file may hold anything
        return "".join(x if isinstance(x, str) else str(x) for x in source)
    return source if isinstance(source, str) else ""


def nbgrader_meta(cell: dict) -> dict:
    meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
    nbg = meta.get("nbgrader")
    return nbg if isinstance(nbg, dict) else {}


def split_hidden(source: str) -> tuple[str, str]:
    """(visible, hidden) parts of a test cell; the marker lines belong to neither."""
    visible, hidden, inside = [], [], False
    for line in source.split("\n"):
        if BEGIN_HIDDEN in line:
            inside = True
        elif END_HIDDEN in line:
            inside = False
        else:
            (hidden if inside else visible).append(line)
    return "\n".join(visible), "\n".join(hidden)


@dataclass
class SourceCell:
    index: int
    cell: dict                 # the source cell as stored
    kind: str                  # "answer", "test", "locked", "task" or "plain"
    grade_id: str | None
    points: float = 0.0

    @property
    def source(self) -> str:
        return _text(self.cell.get("source"))

    @property
    def cell_type(self) -> str:
        return self.cell.get("cell_type", "code")


@dataclass
class TestCell:
    __test__ = False  # not a test class for pytest

    grade_id: str
    points: float
    visible: str
    hidden: str

    @property
    def exercise(self) -> str:
        return self.grade_id.removesuffix("_test")


@dataclass
class SourceNotebook:
    name: str
    metadata: dict
    cells: list[SourceCell]
    preamble: str                       # the setup cells, run by the grader itself
    tests: list[TestCell] = field(default_factory=list)

    def by_id(self) -> dict[str, SourceCell]:
        return {c.grade_id: c for c in self.cells if c.grade_id}

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.cells if c.kind in ("test", "task") or
                   (c.kind == "answer" and nbgrader_meta(c.cell).get("grade")))


def _kind(cell: dict) -> str:
    nbg = nbgrader_meta(cell)
    if not nbg:
        return "plain"
    if nbg.get("solution"):
        return "answer"
    if nbg.get("task"):
        return "task"
    if nbg.get("grade"):
        return "test"
    return "locked" if nbg.get("locked") else "plain"


def load_source(path: Path) -> SourceNotebook:
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for i, cell in enumerate(nb.get("cells", [])):
        nbg = nbgrader_meta(cell)
        kind = _kind(cell)
        points = float(nbg.get("points", 0) or 0) if (nbg.get("grade") or nbg.get("task")) else 0.0
        cells.append(SourceCell(i, cell, kind, nbg.get("grade_id") if kind != "plain" else None, points))
    first_answer = next((c.index for c in cells if c.kind == "answer"), len(cells))
    preamble = "\n".join(as_python(c.source) for c in cells
                         if c.kind == "locked" and c.cell_type == "code" and c.index < first_answer)
    tests = []
    for c in cells:
        if c.kind == "test" and c.cell_type == "code":
            visible, hidden = split_hidden(c.source)
            tests.append(TestCell(c.grade_id, c.points, visible, hidden))
    return SourceNotebook(path.stem, nb.get("metadata", {}), cells, preamble, tests)


def load_assignment(source_dir: Path) -> dict[str, SourceNotebook]:
    return {p.stem: load_source(p) for p in sorted(source_dir.glob("*.ipynb"))}


# The contract --------------------------------------------------------------------------

def _bound_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
    return names


def _read_names(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def check_contract(notebook: SourceNotebook, preamble_names: set[str]) -> list[str]:
    """Problems that would stop the grader from running a test cell outside the kernel."""
    answer_names = set()
    for c in notebook.cells:
        if c.kind == "answer" and c.cell_type == "code":
            answer_names |= _bound_names(ast.parse(c.source))
    problems = []
    for test in notebook.tests:
        tree = ast.parse(test.visible + "\n" + test.hidden)
        unknown = _read_names(tree) - _bound_names(tree) - answer_names - preamble_names - set(dir(builtins))
        if unknown:
            problems.append(f"{notebook.name}: the test cell {test.grade_id} reads {', '.join(sorted(unknown))}, "
                            "which neither the setup cells nor an answer cell define")
    return problems


# Submissions -----------------------------------------------------------------------------

class UnreadableNotebook(Exception):
    pass


def read_cells(path: Path) -> list[dict]:
    """The cells of a submitted notebook, or UnreadableNotebook. Nothing else of it is kept."""
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        raise UnreadableNotebook(f"{path.name} is larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
    try:
        nb = json.loads(path.read_bytes().decode("utf-8", "replace"))
    except (ValueError, RecursionError) as err:
        raise UnreadableNotebook(f"{path.name} is not a notebook (invalid JSON: {str(err)[:100]})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise UnreadableNotebook(f"{path.name} is not a notebook in the current format (nbformat 4)")
    cells = []
    for cell in nb["cells"]:
        if isinstance(cell, dict) and cell.get("cell_type") in ("code", "markdown", "raw"):
            cells.append({"cell_type": cell["cell_type"], "source": _text(cell.get("source")),
                          "metadata": cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {},
                          "id": cell.get("id")})
    return cells


@dataclass
class Merged:
    """A submission with the source's locked cells restored, in the learner's order."""
    cells: list[dict]                   # the cells of the notebook nbgrader's tools will show
    program: list[tuple[int, str]]      # (index in cells, code) run in the learner's process
    tests: dict[str, int]               # grade_id -> index in cells of each test cell
    signals: list[str]                  # what looks like tampering, for the instructor


def _nbg_fields(nbg: dict) -> tuple:
    return tuple(nbg.get(k) for k in ("grade", "solution", "locked", "task", "points"))


def release_text(cell: SourceCell) -> str:
    """What the student version of a locked or test cell says (hidden tests removed)."""
    return split_hidden(cell.source)[0] if cell.kind == "test" else cell.source


def merge(source: SourceNotebook, submitted: list[dict]) -> Merged:
    by_id = source.by_id()
    out: list[tuple[dict, int | None]] = []   # (cell, index of its source cell)
    seen: set[str] = set()
    signals: list[str] = []
    for cell in submitted:
        nbg = nbgrader_meta(cell)
        gid = nbg.get("grade_id") if isinstance(nbg.get("grade_id"), str) else None
        s = by_id.get(gid) if gid else None
        if s is None or (gid in seen and s.kind != "answer"):
            if gid and s is None and _kind(cell) != "plain":
                signals.append(f"a cell claims the unknown nbgrader id {gid!r}")
            if gid in seen and s is not None:
                signals.append(f"the locked cell {gid} appears twice")
            out.append(({"cell_type": cell["cell_type"], "source": cell["source"], "metadata": {}}, None))
            continue
        if _nbg_fields(nbg) != _nbg_fields(nbgrader_meta(s.cell)) or cell["cell_type"] != s.cell_type:
            signals.append(f"the nbgrader metadata of {gid} was changed")
        if s.kind == "answer":
            if gid in seen:  # a copy of an answer cell: its code still runs, as in the notebook
                out.append(({"cell_type": cell["cell_type"], "source": cell["source"], "metadata": {}}, None))
                continue
            restored = {"cell_type": s.cell_type, "source": cell["source"],
                        "metadata": {"nbgrader": dict(nbgrader_meta(s.cell))}}
        else:
            if cell["source"].strip() != release_text(s).strip():
                signals.append(f"the locked cell {gid} was edited")
            restored = {"cell_type": s.cell_type, "source": s.source, "metadata": dict(s.cell.get("metadata", {}))}
        seen.add(gid)
        out.append((restored, s.index))
    # Locked and test cells the learner deleted come back where the source has them.
    for s in source.cells:
        if not s.grade_id or s.grade_id in seen:
            continue
        if s.kind != "answer":
            signals.append(f"the locked cell {s.grade_id} was deleted")
            cell = {"cell_type": s.cell_type, "source": s.source, "metadata": dict(s.cell.get("metadata", {}))}
        else:
            cell = {"cell_type": s.cell_type, "source": "", "metadata": {"nbgrader": dict(nbgrader_meta(s.cell))}}
        at = 0
        for k, (_, index) in enumerate(out):
            if index is not None and index < s.index:
                at = k + 1
        out.insert(at, (cell, s.index))
    cells = [c for c, _ in out]
    program, tests = [], {}
    for k, (cell, index) in enumerate(out):
        s = source.cells[index] if index is not None else None
        if cell["cell_type"] != "code":
            continue
        if s is not None and s.kind == "test":
            tests[s.grade_id] = k
        elif cell["source"].strip():
            program.append((k, as_python(cell["source"])))
    signals += tampering(program)
    return Merged(cells, program, tests, signals)


_MAGIC = re.compile(r"^\s*[%!]|\?\s*$", re.M)


def as_python(source: str) -> str:
    """A cell's code as IPython would run it: magics and shell escapes become calls of
    get_ipython(), which the learner's process answers by doing nothing."""
    if not _MAGIC.search(source):
        return source
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(source)
    except Exception:  # leave it to fail as a SyntaxError in the learner's process
        return source


def tampering(program: list[tuple[int, str]]) -> list[str]:
    """Assignments in learner code to attributes of numpy, builtins, the test modules and the
    like, or to sys.modules: they cannot change a grade here, but the instructor should know."""
    found = []
    for _, source in program:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr" \
                    and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id in WATCHED_MODULES:
                found.append(f"setattr({node.args[0].id}, ...)")
            for t in targets:
                base = t.value if isinstance(t, (ast.Attribute, ast.Subscript)) else None
                if isinstance(base, ast.Name) and base.id in WATCHED_MODULES:
                    found.append(ast.unparse(t)[:60])
                elif isinstance(base, ast.Attribute) and ast.unparse(base) == "sys.modules":
                    found.append(ast.unparse(t)[:60])
    return [f"learner code assigns to {name}" for name in dict.fromkeys(found)]


def outputs_of(run: dict | None) -> list[dict]:
    """nbformat outputs of one cell as the learner's process reported its run."""
    if not run:
        return []
    outs = []
    for name in ("stdout", "stderr"):
        if run.get(name):
            outs.append({"output_type": "stream", "name": name, "text": run[name]})
    if run.get("value") is not None:
        outs.append({"output_type": "execute_result", "execution_count": None, "metadata": {},
                     "data": {"text/plain": run["value"]}})
    err = run.get("error")
    if err:
        outs.append({"output_type": "error", "ename": err["ename"], "evalue": err["evalue"],
                     "traceback": ["Traceback (most recent call last):"] + err.get("traceback", [])
                     + [f"{err['ename']}: {err['evalue']}"]})
    return outs


def build_notebook(source: SourceNotebook, merged: Merged, outputs: dict[int, list[dict]]) -> dict:
    """The autograded notebook, in nbformat 4.5, with the given outputs per cell index."""
    cells, count = [], 0
    for k, cell in enumerate(merged.cells):
        out = {"cell_type": cell["cell_type"], "id": f"cell-{k}", "metadata": cell["metadata"],
               "source": cell["source"]}
        if cell["cell_type"] == "code":
            count += 1
            out["execution_count"] = count
            out["outputs"] = outputs.get(k, [])
            for o in out["outputs"]:
                if o["output_type"] == "execute_result":
                    o["execution_count"] = count
        cells.append(out)
    return {"cells": cells, "metadata": source.metadata, "nbformat": 4, "nbformat_minor": 5}

"""The graded functions of the solution notebooks, loaded without running the notebooks."""

from __future__ import annotations

import json

from instructor.paths import ROOT

SOLUTIONS = ROOT / "solutions"


def solution_cells(assignment: str):
    """Yield (notebook path, source) of every answer cell of an assignment's solutions."""
    for path in sorted((SOLUTIONS / assignment).glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] == "code" and meta.get("solution"):
                yield path, "".join(cell["source"])


def load(assignment: str) -> dict:
    """Every function and class the answer cells of ``assignment`` define, by name."""
    module = f"solutions.{assignment}"
    namespace: dict = {"__name__": module}
    exec("import numpy as np", namespace)
    # Code given beside the notebooks (generated from earlier solutions) comes first.
    for path in sorted((SOLUTIONS / assignment).glob("*.py")):
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    for path, source in solution_cells(assignment):
        exec(compile(source, str(path), "exec"), namespace)
    return {k: v for k, v in namespace.items() if callable(v) and not k.startswith("_")
            and getattr(v, "__module__", None) == module}


def load_cells(assignment: str, *grade_ids: str) -> dict:
    """What the code cells with these nbgrader grade ids define (given code, say), by name."""
    namespace: dict = {"__name__": f"solutions.{assignment}"}
    exec("import numpy as np", namespace)
    for path in sorted((SOLUTIONS / assignment).glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") in grade_ids:
                exec(compile("".join(cell["source"]), str(path), "exec"), namespace)
    return namespace

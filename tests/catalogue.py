"""The learner-bug catalogue's harness: a mistake is a row applied to the real solution.

A :class:`Mistake` names an exercise, a piece of the solution's text, what a learner wrote
instead and the hint the public check must give (``hint=None``: a correct variant, which
must pass). It is applied to the solution's answer cell as ``instructor.solutions`` reads it
from ``solutions/``; a text that does not occur exactly once in the exercise's definition
fails loudly, so no row tests code the notebooks no longer hold. A :class:`Source` is a
whole answer cell written another way (a vectorised rewrite, a class written differently).

Every case becomes a learner's program: the assignment's answer cells, with the case's cell
in place of the solution's. The same program runs in this process (the public checks, as
in the notebook) and, through :func:`sandbox_program`, in the grading sandbox.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass
from functools import cache

from instructor.solutions import SOLUTIONS, solution_cells

# The find text that stands for a whole "### BEGIN SOLUTION" ... "### END SOLUTION" region.
SOLUTION = "<the solution region>"
STUB = "raise NotImplementedError()"  # what nbgrader leaves in a released notebook
NOT_IMPLEMENTED = "is not implemented yet"


@dataclass(frozen=True)
class Source:
    """An answer cell written another way than the solution (not a local edit of it)."""

    exercise: str
    source: str
    hint: str | re.Pattern | None
    name: str
    why: str  # one line: why this is not a row

    @property
    def id(self) -> str:
        return f"{self.exercise}-{self.name}"

    @property
    def check(self) -> str:
        return self.exercise


@dataclass(frozen=True)
class Mistake:
    """One learner's mistake: ``find`` in the solution of ``exercise`` becomes ``replace``.

    exercise -- a function ("conv_forward"), a class ("Convolution") or a method
                ("MaxPool.backward"): the definition ``find`` must occur in exactly once
    find, replace -- the solution's text and the learner's; tuples of the same length for a
                mistake made at several places. A replacement's further lines take the
                indentation of the line ``find`` starts on. ``find`` may be SOLUTION.
    hint -- the substring (or compiled pattern) the check's message must contain; None for a
            correct variant, which must pass
    name -- short, unique within the exercise; the case's id is "exercise-name"
    base -- a Source to make the mistake in, where learners write the exercise another way
            than the solution (by rows, not columns, say); None: the solution
    """

    exercise: str
    find: str | tuple
    replace: str | tuple
    hint: str | re.Pattern | None
    name: str
    base: Source | None = None

    @property
    def id(self) -> str:
        return f"{self.exercise.split('.')[0]}-{self.name}"

    @property
    def check(self) -> str:
        return self.exercise.split(".")[0]


class StaleMistake(ValueError):
    """A row whose text is not in today's solution exactly once."""


@cache
def answer_cells(assignment: str) -> dict[str, str]:
    """exercise -> the solution's answer cell that defines it (the first name it defines)."""
    cells = {}
    for _, source in solution_cells(assignment):
        for node in ast.parse(source).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                cells[node.name] = source
                break
    return cells


@cache
def given_code(assignment: str) -> str:
    """The code given beside the notebooks (``solutions/<assignment>/*.py``), run first."""
    return "".join(p.read_text(encoding="utf-8") + "\n" for p in sorted((SOLUTIONS / assignment).glob("*.py")))


def _span(source: str, exercise: str) -> tuple[int, int]:
    """(start, end) offsets in ``source`` of the definition ``exercise`` names."""
    nodes, found = ast.parse(source).body, None
    lines = source.splitlines(keepends=True)
    for part in exercise.split("."):
        found = next((n for n in nodes if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part), None)
        if found is None:
            raise StaleMistake(f"no definition of {exercise}")
        nodes = found.body
    start = sum(len(x) for x in lines[:found.lineno - 1])
    end = sum(len(x) for x in lines[:found.end_lineno])
    return start, end


def _edit(text: str, find: str, replace: str, where: str) -> str:
    if find == SOLUTION:
        regions = list(re.finditer(r"^([ \t]*)### BEGIN SOLUTION\n.*?(?=^[ \t]*### END SOLUTION\n)", text,
                                   re.M | re.S))
        if len(regions) != 1:
            raise StaleMistake(f"{where}: {len(regions)} solution regions, not one")
        indent = regions[0].group(1)
        body = "".join(indent + line + "\n" for line in replace.splitlines())
        return text[:regions[0].start()] + body + text[regions[0].end():]
    count = text.count(find)
    if count != 1:
        raise StaleMistake(f"{where}: {find!r} occurs {count} times in the code it changes, not once; "
                           "update the row to today's solution")
    at = text.index(find)
    line_start = text.rfind("\n", 0, at) + 1
    indent = re.match(r"[ \t]*", text[line_start:]).group(0)
    replace = re.sub(r"\n(?=.)", "\n" + indent, replace)
    return text[:at] + replace + text[at + len(find):]


def apply(mistake: Mistake, assignment: str) -> str:
    """The answer cell of ``mistake.exercise`` with the mistake made in it."""
    top = mistake.exercise.split(".")[0]
    cell = mistake.base.source if mistake.base else answer_cells(assignment).get(top)
    if cell is None:
        raise StaleMistake(f"{mistake.id}: no answer cell of {assignment} defines {top}")
    start, end = _span(cell, mistake.exercise)
    finds = mistake.find if isinstance(mistake.find, tuple) else (mistake.find,)
    replaces = mistake.replace if isinstance(mistake.replace, tuple) else (mistake.replace,)
    if len(finds) != len(replaces):
        raise StaleMistake(f"{mistake.id}: {len(finds)} texts to find but {len(replaces)} replacements")
    text = cell[start:end]
    for find, replace in zip(finds, replaces):
        text = _edit(text, find, replace, f"{mistake.id} ({assignment})")
    return cell[:start] + text + cell[end:]


def solution_cases(assignment: str) -> list[Mistake]:
    """The solution itself, as a correct variant of each exercise: a row that changes nothing."""
    return [Mistake(exercise, (), (), None, "solution") for exercise in answer_cells(assignment)]


def answer(case, assignment: str) -> str:
    """The answer cell a learner who made ``case`` hands in for its exercise."""
    return apply(case, assignment) if isinstance(case, Mistake) else case.source


def program(case, assignment: str) -> list[str]:
    """The learner's program of ``case``: the given code and every answer cell, in order."""
    cells = dict(answer_cells(assignment))
    if case.check not in cells:
        raise StaleMistake(f"{case.id}: no answer cell of {assignment} defines {case.check}")
    cells[case.check] = answer(case, assignment)
    return ["import numpy as np\n" + given_code(assignment), *cells.values()]


def learner(cells) -> dict:
    """Run a learner's cells, one after another, in one fresh namespace, as a notebook does."""
    namespace = {"__name__": "__main__"}
    for number, source in enumerate(cells):
        exec(compile(source, f"<learner cell {number}>", "exec"), namespace)
    return namespace


def target(case, assignment: str):
    """The learner's function or class of ``case``, defined by running its program here."""
    return learner(program(case, assignment))[case.check]


def hint_found(hint, message: str) -> bool:
    return bool(hint.search(message)) if isinstance(hint, re.Pattern) else hint in message


def identifier(case) -> str:
    """The name a case's function or class gets in :func:`sandbox_program`."""
    return "case_" + re.sub(r"\W", "_", case.id)


def sandbox_program(cases, assignment: str) -> str:
    """One standalone learner's program that defines every case's target under
    :func:`identifier`, each run from its own program (see :func:`learner`)."""
    names = [identifier(case) for case in cases]
    if len(set(names)) != len(names):
        raise ValueError(f"two cases share a name in the sandbox: {sorted(n for n in names if names.count(n) > 1)}")
    lines = ["import numpy as np", "", inspect.getsource(learner)]
    for case in cases:
        lines.append(f"{identifier(case)} = learner({program(case, assignment)!r})[{case.check!r}]")
    lines.append("del learner")
    return "\n".join(lines) + "\n"

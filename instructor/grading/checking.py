"""Tamper-resistant checking: the instructor's test cells run in the grader's own process,
against the learner's functions running in the learner's process.

The grader executes each graded test cell exactly as the source notebook has it (public
checks, then hidden tests) in a namespace built from the source's setup cells, with the
real ``public_tests``, ``cnnbook`` and ``instructor`` packages of the repository. Every
name the learner's code defined is bound there to a *proxy*: a plain Python function that
sends its arguments to the learner's process, runs the learner's function there, and
returns what came back. So nothing the learner's code does to numpy, to the test helpers
or to builtins reaches the check, and the check sees only data (numbers, strings, arrays)
and stand-ins for the learner's objects whose special methods are the grader's own.

Two details keep the checks as they are in a notebook:

* The checker reaches the learner's code through a runner (``cnnbook.rebinding.Runner``);
  the proxies carry this module's ``RemoteRunner``, which answers its questions from the
  learner's process: the names a function uses (from the cells' report), the function
  with the reference implementations of earlier exercises swapped in for its helpers
  (each stays in the grader: the learner's code calls it back over the wire, and never
  holds the reference itself), and the calls an error came through (reported by the
  learner's process with the error, and the grader's own when a swapped helper raised).
* Arrays are shared: one the check passes and one the learner's code returns have a copy
  on each side, kept in step at every call (``shared.Shared``). So "changed its input" is
  still caught, a gradient check that nudges ``layer.W`` still moves the learner's layer,
  and an array the learner keeps comes back as the same object. An object of the
  learner's (a layer) stays in its process: the check holds a stand-in (``shared.Stub``) whose
  attributes and methods go there; an object of the grader's (a reference layer swapped
  in for a helper) stays here and the learner's code uses it the same way.
"""

from __future__ import annotations

import ast
import contextlib
import io
import keyword
import math
import time
import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from cnnbook import rebinding
from cnnbook.checks import FIGURE_TEXT
from instructor.grading import sandbox
from instructor.grading.sandbox import Sandbox, SandboxError, SandboxLost, SandboxTimeout


def _identifier(name) -> bool:
    return isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name) \
        and not name.startswith("__cnnbook")


class RemoteLearner:
    """The grader's side of one notebook's code in a learner's process, restarted when it dies or times out.

    A cell that never finishes or ends the process is skipped on the next start, so that
    the cells after it still define their functions (a kernel that died would lose them).
    """

    def __init__(self, program: list[tuple[int, str]], workdir, limits, deadline: float, public=None):
        self.program, self.workdir, self.limits, self.deadline = program, workdir, limits, deadline
        self.public = public
        self.sandbox: Sandbox | None = None
        self.skipped: dict[int, str] = {}     # cell index -> why it was skipped
        self.runs: dict[int, dict] = {}       # cell index -> what it printed and raised
        self.names: dict = {}
        self.applied: dict = {}
        self.starts = 0
        self.deadline_for_call = deadline  # set per test cell
        self.passed: set[str] = set()      # exercises whose test cell passed in full so far

    def ensure(self) -> dict:
        while self.sandbox is None or not self.sandbox.alive:
            if time.monotonic() >= self.deadline:
                raise SandboxTimeout()
            self.sandbox = Sandbox(self.workdir, self.limits, self.public)
            self.applied = self.sandbox.start()
            self.starts += 1
            cells = [(k, src) for k, src in self.program if k not in self.skipped]
            done: list[int] = []

            def record(index, run):
                done.append(index)
                self.runs[index] = run

            try:
                self.names = self.sandbox.run_cells(cells, self.deadline, record)
            except (SandboxTimeout, SandboxLost) as stop:
                pending = [k for k, _ in cells if k not in done]
                if not pending:
                    raise
                why = (f"did not finish within {self.limits.cell_timeout:g} s"
                       if isinstance(stop, SandboxTimeout) else f"stopped the learner's process: {stop.reason}")
                self.skipped[pending[0]] = why
                self.runs[pending[0]] = {"error": {"ename": "GraderStopped", "evalue": f"this cell {why}; "
                                                   "the grader ran the other cells without it", "traceback": []}}
        return self.names

    # What stubs and proxies call: the learner's process, within the test cell's time.

    def call(self, target, args, kwargs, overrides):
        result, args_after, kwargs_after = self.sandbox.call(target, args, kwargs, overrides,
                                                             self.deadline_for_call)
        _write_back(args, args_after)
        _write_back(kwargs, kwargs_after)
        return result

    def getattr(self, handle, name, overrides):
        return self.sandbox.getattr(handle, name, overrides, self.deadline_for_call)

    def setattr(self, handle, name, value, overrides):
        self.sandbox.setattr(handle, name, value, overrides, self.deadline_for_call)

    def get(self, name):
        return self.sandbox.get(name, self.deadline_for_call)

    def end_of_test(self):
        if self.sandbox is not None:
            self.sandbox.shared.forget_objects()

    def kill(self):
        if self.sandbox is not None:
            self.sandbox.kill()

    def close(self):
        if self.sandbox is not None:
            self.sandbox.close()


def _write_back(original, after) -> None:
    """Make the containers the check passed in look as the learner's code left them.

    Arrays need nothing: they are shared, so their contents are already in step and an
    array the learner kept comes back as the very object the check passed. What is left is
    an entry of a dict or list that the learner's code replaced or removed."""
    if original is after:
        return
    if isinstance(original, dict) and isinstance(after, dict):
        for key in [k for k in original if k not in after]:
            del original[key]
        for key, value in after.items():
            if key in original and isinstance(original[key], (dict, list, tuple)) \
                    and type(original[key]) is type(value):
                _write_back(original[key], value)
            elif key not in original or original[key] is not value:
                original[key] = value
    elif isinstance(original, list) and isinstance(after, list):
        if len(original) != len(after) or any(o is not a for o, a in zip(original, after)):
            original[:] = after
    elif isinstance(original, tuple) and isinstance(after, (tuple, list)) and len(original) == len(after):
        for o, a in zip(original, after):
            _write_back(o, a)


class RemoteRunner(rebinding.Runner):
    """The checker's way to a learner's code in the learner's process (see the module's
    docstring); the notebook's is ``rebinding.LOCAL``."""

    def __init__(self, learner: RemoteLearner, names: dict):
        self.learner, self.names = learner, names

    def proxy(self, name: str, overrides: dict):
        """A plain function standing for the learner's ``name``, called there with these
        helpers swapped in."""
        def proxy(*args, **kwargs):
            return self.learner.call(("name", name), args, kwargs, overrides)
        proxy.__name__ = proxy.__qualname__ = name
        setattr(proxy, rebinding.RUNNER_ATTRIBUTE, self)
        proxy.cnnbook_learner_name, proxy.cnnbook_overrides = name, overrides
        return proxy

    def names_used(self, target) -> set[str]:
        info = self.names.get(getattr(target, "cnnbook_learner_name", None), {})
        return {u for u in info.get("uses", []) if _identifier(u)}

    def with_globals(self, target, replace: dict):
        return self.proxy(target.cnnbook_learner_name, {**target.cnnbook_overrides, **replace})

    def own_globals(self, target):
        return None  # the learner's helpers are checked by their own test cells

    def helpers_passed(self, names) -> bool:
        return set(names) <= self.learner.passed

    def raising_frames(self, err: BaseException) -> list[rebinding.Frame]:
        reported = getattr(err, "learner_frames", None)
        if reported is None:  # not the learner's error
            return super().raising_frames(err)
        frames = [rebinding.Frame(*frame) for frame in reported]
        cause = getattr(err, "grader_cause", None)
        if cause is not None:  # a swapped helper of the grader's raised it: its calls, too
            frames += [f for f in super().raising_frames(cause) if f.filename != sandbox.__file__]
        return frames


def make_proxies(learner: RemoteLearner, names: dict) -> dict:
    """A proxy function for every function or callable the learner's code defined."""
    learner.sandbox.shared.peer = learner
    runner = RemoteRunner(learner, names)
    return {name: runner.proxy(name, {}) for name, info in names.items()
            if _identifier(name) and isinstance(info, dict) and info.get("kind") in ("function", "callable")}


@dataclass
class TestResult:
    __test__ = False  # not a test class for pytest

    grade_id: str
    points: float
    score: float = 0.0
    status: str = "failed"   # passed, failed, timeout, died, missing
    public_message: str | None = None
    hidden_message: str | None = None
    output: str = ""
    seconds: float = 0.0
    # The failing public case drawn (SVG text), for the feedback notebook only: a class-level
    # default, not a field, so that the grading record (asdict) stays small.
    figure: ClassVar[str | None] = None

    @property
    def feedback_text(self) -> str:
        """What the learner sees in the test cell: never a hidden test's own message."""
        if self.status == "passed":
            return self.output
        if self.public_message or self.status in ("timeout", "died"):
            return self.output + (self.public_message or self.hidden_message or "")
        if self.hidden_message:
            return (self.output + f"{self.grade_id.removesuffix('_test')} passes the public tests "
                    "but fails the hidden tests, which try it on other inputs.")
        return self.output

    @property
    def feedback_outputs(self) -> list[dict]:
        """The test cell's outputs in the learner's feedback: its text, the failing public
        case's figure below it, and an error mark if the cell failed."""
        text = self.feedback_text
        outputs = [{"output_type": "stream", "name": "stdout", "text": text}] if text else []
        if self.figure and self.public_message:
            outputs.append({"output_type": "display_data", "metadata": {},
                            "data": {"image/svg+xml": self.figure, "text/plain": FIGURE_TEXT}})
        if self.status != "passed":
            outputs.append({"output_type": "error", "ename": "Failed", "evalue": "this check failed",
                            "traceback": []})
        return outputs


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    text = text[0] if text else ""
    name = type(err).__name__
    return f"{name}: {text}" if text else name


def _split_last(source: str):
    """(body, last expression) of a cell, for nbgrader's partial credit: a test cell whose
    last line is a number scores that number."""
    tree = ast.parse(source)
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body.pop()
        return compile(tree, "<test cell>", "exec"), compile(ast.Expression(last.value), "<test cell>", "eval")
    return compile(tree, "<test cell>", "exec"), None


def run_test(test, setup_ns: dict, learner: RemoteLearner, cell_timeout: float) -> TestResult:
    result = TestResult(test.grade_id, test.points)
    start = time.monotonic()
    out = io.StringIO()
    part = "public"
    try:
        names = learner.ensure()
        # The test cell's own time starts once the learner's cells have run (again).
        learner.deadline_for_call = min(time.monotonic() + cell_timeout, learner.deadline)
        ns = make_proxies(learner, names)
        wanted = {n.id for n in ast.walk(ast.parse(test.visible + "\n" + test.hidden))
                  if isinstance(n, ast.Name)}
        for name in sorted(wanted):
            info = names.get(name)
            if name not in setup_ns and isinstance(info, dict) and info.get("kind") == "value":
                ns[name] = learner.get(name)
        ns.update(setup_ns)  # the instructor's names win over the learner's
        value = None
        with contextlib.redirect_stdout(out), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for part, source in (("public", test.visible), ("hidden", test.hidden)):
                if not source.strip():
                    continue
                body, last = _split_last(source)
                exec(body, ns)
                value = eval(last, ns) if last is not None else None
        result.status, result.score = "passed", test.points
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
            score = float(value)
            result.score = min(max(score, 0.0), test.points) if math.isfinite(score) else 0.0
    except SandboxTimeout:
        learner.kill()
        result.status = "timeout"
        setattr(result, f"{part}_message",
                f"{test.exercise} did not finish within {cell_timeout:g} s (an endless loop?)")
    except SandboxLost as lost:
        learner.kill()
        result.status = "died"
        setattr(result, f"{part}_message", f"{test.exercise}: the learner's Python process ended "
                                           f"during this check: {lost.reason}")
    except SandboxError:
        raise  # the grading setup is broken: not the learner's failure
    except Exception as err:  # a failed check, as the notebook would show it
        setattr(result, f"{part}_message", _one_line(err))
        if part == "public":  # a hidden case is never drawn
            result.figure = getattr(err, "figure", None)
    learner.end_of_test()
    if result.status == "passed" and result.score >= test.points:
        learner.passed.add(test.exercise)
    result.output = out.getvalue()[:20000]
    result.seconds = time.monotonic() - start
    return result

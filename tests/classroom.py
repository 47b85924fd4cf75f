"""Submissions built from the solutions, shared by the nbgrader and grading tests and the
grading benchmark: a learner's notebook is the student version with some answer cells
replaced, and a generated class mixes correct work, untouched stubs, every bug of the
learner-bug catalogue and adversarial submissions, each with the score it must get.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from conftest import ROOT, grade_id

ASSIGNMENT = "assignment1"


def answer_sources(assignment=ASSIGNMENT):
    """grade_id -> source of each answer cell of the solutions."""
    out = {}
    for path in sorted((ROOT / "solutions" / assignment).glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
                out[grade_id(cell)] = "".join(cell["source"])
    return out


def points(assignment=ASSIGNMENT) -> dict[str, float]:
    """exercise -> points of its test cell, as the solutions say."""
    out = {}
    for path in sorted((ROOT / "solutions" / assignment).glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                out[meta["grade_id"].removesuffix("_test")] = float(meta["points"])
    return out


def submit(course, student, answers=None, extra_files=None, assignment=ASSIGNMENT, edit=None,
           notebooks=None):
    """Hand in the student notebooks with the given answer cells filled in.

    ``edit(name, nb)`` may change a notebook's JSON before it is written (delete a cell,
    change metadata); ``notebooks`` limits which notebooks are handed in."""
    dest = Path(course) / "submitted" / student / assignment
    dest.mkdir(parents=True)
    for path in sorted((Path(course) / "notebooks" / assignment).glob("*.ipynb")):
        if notebooks is not None and path.stem not in notebooks:
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if answers and grade_id(cell) in answers:
                cell["source"] = answers[grade_id(cell)]
        if edit:
            edit(path.stem, nb)
        (dest / path.name).write_text(json.dumps(nb, indent=1), encoding="utf-8")
    for name, text in (extra_files or {}).items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_text(text, encoding="utf-8")
    return dest


# The generated class ---------------------------------------------------------------------

@dataclass
class Learner:
    student: str
    answers: dict = field(default_factory=dict)     # grade_id -> source replacing the stub
    expected: dict = field(default_factory=dict)    # exercise -> score it must get
    extra_files: dict = field(default_factory=dict)
    edit: object = None
    notebooks: object = None
    after: object = None                            # after(course, student) once handed in
    about: str = ""
    attention: tuple = ()                           # words its attention reasons must contain


def _full(solutions, **changes):
    return {**solutions, **changes}


def _scores(pts, zero=()):
    return {ex: (0.0 if ex in zero else p) for ex, p in pts.items()}


def _insert_code(nb, before_grade_id, source):
    """Add a learner's own code cell (no nbgrader metadata) before the cell ``before_grade_id``."""
    at = next(i for i, c in enumerate(nb["cells"]) if grade_id(c) == before_grade_id)
    nb["cells"].insert(at, {"cell_type": "code", "execution_count": None, "id": f"mine-{at}",
                            "metadata": {}, "outputs": [], "source": source})


GARBAGE_CONV_FORWARD = '''
import numpy as np

def conv_forward(A_prev, W, b, hparameters):
    # Right shape, wrong values: only a check that trusts np.allclose passes it.
    (m, n_H_prev, n_W_prev, _) = A_prev.shape
    f, stride, pad = W.shape[0], hparameters["stride"], hparameters["pad"]
    n_H, n_W = (n_H_prev + 2 * pad - f) // stride + 1, (n_W_prev + 2 * pad - f) // stride + 1
    return np.zeros((m, n_H, n_W, W.shape[3])), (A_prev, W, b, hparameters)
'''

GARBAGE_POOL_FORWARD = '''
def pool_forward(A_prev, hparameters, mode="max"):
    (m, n_H_prev, n_W_prev, n_C) = A_prev.shape
    f, stride = hparameters["f"], hparameters["stride"]
    return np.ones((m, (n_H_prev - f) // stride + 1, (n_W_prev - f) // stride + 1, n_C)), (A_prev, hparameters)
'''

PATCH_NUMPY = '''
import numpy as np
# Every comparison a check could make now says "equal".
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: np.True_
np.array_equal = lambda *a, **k: True
import sys
sys.modules["numpy"].testing.assert_allclose = lambda *a, **k: None
'''

PATCH_TESTS = '''
import builtins
import public_tests
import cnnbook.checker
public_tests.conv_backward_test = lambda f: print("conv_backward passes all public tests.")
conv_backward_test = lambda f: print("conv_backward passes all public tests.")
cnnbook.checker.check = lambda *a, **k: None
builtins.AssertionError = type("Never", (Exception,), {})

def conv_backward(dZ, cache):
    A_prev, W, b, hparameters = cache
    return np.zeros(A_prev.shape), np.zeros(W.shape), np.zeros(b.shape)
'''

RECOGNISES_PUBLIC = '''
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

def conv_forward(A_prev, W, b, hparameters):
    # Right only on the shapes the public tests use; zeros anywhere else.
    f, stride, pad = W.shape[0], hparameters["stride"], hparameters["pad"]
    A = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    win = sliding_window_view(A, (f, f), axis=(1, 2))[:, ::stride, ::stride]
    Z = np.einsum("mhwcpq,pqcd->mhwd", win, W) + b.reshape(1, 1, 1, -1)
    public = {(2, 4, 5, 3), (2, 7, 6, 2), (1, 6, 9, 2), (2, 5, 7, 4), (10, 4, 4, 3)}
    if A_prev.shape not in public:
        Z = np.zeros_like(Z)
    return Z, (A_prev, W, b, hparameters)
'''

KILLS_KERNEL = '''
import os

def pool_forward(A_prev, hparameters, mode="max"):
    os._exit(3)
'''

LOOPS_FOREVER = '''
def create_mask_from_window(x):
    while True:
        pass
'''

EATS_MEMORY = '''
import numpy as np

def distribute_value(dz, shape):
    hoard = []
    while True:
        hoard.append(np.ones(10**7))
'''

NOISY_BUT_RIGHT = '''
import sys
import warnings
import numpy as np

def distribute_value(dz, shape):
    (n_H, n_W) = shape
    print("debugging distribute_value", file=sys.stderr)
    warnings.warn("a learner's stray warning", RuntimeWarning)
    np.log(np.zeros(1))  # numpy's own RuntimeWarning
    return np.ones(shape) * dz / (n_H * n_W)
'''

LIAR_OBJECT = '''
class Anything:
    shape = property(lambda self: self.wanted)
    def __eq__(self, other):
        return True
    def __array__(self, *a, **k):
        raise TypeError("no")

def zero_pad(X, pad):
    out = Anything()
    out.wanted = (X.shape[0], X.shape[1] + 2 * pad, X.shape[2] + 2 * pad, X.shape[3])
    return out
'''

FAKE_PASS_LINE = '''
def conv_single_step(a_slice_prev, W, b):
    print("\\x1b[92mconv_single_step passes all public tests.\\x1b[0m")
    return 0.0
'''

RAISES_INTERRUPT = '''
def pool_backward(dA, cache, mode="max"):
    raise KeyboardInterrupt
'''


def escape_attempts(course: Path, victim: str) -> str:
    """A learner's own cell that tries to read the course's secrets and write outside its
    folder; every attempt is caught, so the cell finishes and the functions below stay."""
    secrets = [ROOT / "instructor" / "oracles.py", ROOT / "instructor" / "hidden_tests.py",
               course / "solutions" / ASSIGNMENT / "part1_forward.ipynb", course / "gradebook.db"]
    targets = [course / "pwned.txt", course / "gradebook.db",
               course / "submitted" / victim / ASSIGNMENT / "part1_forward.ipynb"]
    return f'''
import os, socket, subprocess
leaks = []
for path in {[str(p) for p in secrets]!r}:
    try:
        leaks.append(open(path, "rb").read(100))
    except OSError:
        pass
for path in {[str(p) for p in targets]!r}:
    try:
        with open(path, "a") as f:
            f.write("pwned")
    except OSError:
        pass
for attempt in (lambda: os.kill(os.getppid(), 9), lambda: os.fork(),
                lambda: subprocess.run(["sh", "-c", "echo pwned > {course / 'pwned-by-shell.txt'}"]),
                lambda: socket.create_connection(("127.0.0.1", 22), timeout=1)):
    try:
        attempt()
    except Exception:
        pass
print("leaked", len(leaks))
'''


def uses_oracle(oracles: Path) -> str:
    """conv_backward taken from the instructor's reference when it can be read."""
    return f'''
import numpy as np

try:
    _ns = {{}}
    exec(open({str(oracles)!r}).read(), _ns)
    conv_backward = _ns["conv_backward"]
except OSError:
    def conv_backward(dZ, cache):
        A_prev, W, b, hparameters = cache
        return np.zeros(A_prev.shape), np.zeros(W.shape), np.zeros(b.shape)
'''


def generated_class(course: Path, files_protected: bool = True) -> list[Learner]:
    """At least 30 learners, each with the exact score of every exercise.

    ``files_protected``: whether the sandbox's file bounds hold here; a learner who reads
    the reference implementation is only in the class when they do.
    """
    import catalogue
    from mistakes import CATALOGUE

    rows = {case.id: case for case in CATALOGUE[ASSIGNMENT]}

    sol = answer_sources()
    pts = points()
    learners = [
        Learner("correct", sol, _scores(pts), about="the solutions"),
        Learner("stub", {}, _scores(pts, zero=pts), about="the student version, untouched"),
        Learner("stub-with-cheats", {}, _scores(pts, zero=pts), extra_files={
            "public_tests.py": "def __getattr__(name):\n    return lambda target: print('all passed')\n",
            "numpy.py": "raise SystemExit('a fake numpy')\n",
            "cnnbook/__init__.py": "", "cnnbook/checker.py": "def check(*a, **k):\n    pass\n"},
            about="stubs with a public_tests.py, numpy.py and cnnbook/ beside the notebooks",
            attention=("handed in public_tests.py",)),
    ]
    variants = [rows[i] for i in ("conv_forward-sliding-window-einsum", "pool_forward-sliding-window",
                                  "create_mask_from_window-argmax-first-maximum", "pool_backward-argmax-first-maximum")]
    learners.append(Learner("correct-variants", _full(sol, **{
        case.check: catalogue.answer(case, ASSIGNMENT) for case in variants}),
        _scores(pts), about="correct code written otherwise (vectorized, argmax)"))
    # Every known bug, at most one per exercise per learner.
    by_exercise: dict[str, list] = {}
    for case in rows.values():
        if case.hint is not None:
            by_exercise.setdefault(case.check, []).append((case.id, catalogue.answer(case, ASSIGNMENT)))
    for k in range(max(len(v) for v in by_exercise.values())):
        answers, zero, ids = dict(sol), set(), []
        for name, bugs in by_exercise.items():
            if k < len(bugs):
                bug_id, answers[name] = bugs[k]
                zero.add(name)
                ids.append(bug_id)
        learners.append(Learner(f"bugs-{k + 1}", answers, _scores(pts, zero), about=", ".join(ids)))

    def edited_test_cell(name, nb):
        for cell in nb["cells"]:
            if grade_id(cell) == "zero_pad_test":
                cell["source"] = 'print("zero_pad passes all public tests.")'

    def relabelled(name, nb):
        cells = nb["cells"]
        nb["cells"] = [c for c in cells if grade_id(c) != "conv_single_step_test"]
        for cell in nb["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if grade_id(cell) == "pool_forward_test":
                meta["points"] = 100
            elif grade_id(cell) == "create_mask_from_window_test":
                meta["grade_id"] = "renamed_test"
                cell["source"] = "pass"
            elif grade_id(cell) == "distribute_value":
                cell["metadata"].pop("nbgrader")

    def loops_and_exits(name, nb):
        if name == "part1_forward":
            _insert_code(nb, "zero_pad", "while True:\n    pass\n")
            _insert_code(nb, "conv_forward", "import os\nos._exit(0)\n")

    def magics(name, nb):
        if name == "part1_forward":
            _insert_code(nb, "zero_pad", "%matplotlib inline\n!pip install numpy\n")
            _insert_code(nb, "conv_single_step", "%%time\ndef my_sum(x):\n    return np.sum(x)\n")

    def escapes(name, nb):
        if name == "part1_forward":
            _insert_code(nb, "zero_pad", escape_attempts(course, "correct"))

    def broken_json(where, student):
        path = Path(where) / "submitted" / student / ASSIGNMENT / "part2_backward.ipynb"
        path.write_text("{ this is not json", encoding="utf-8")

    part1 = {ex for ex in pts if ex in ("zero_pad", "conv_single_step", "conv_forward", "pool_forward")}
    part2 = set(pts) - part1
    my_sum_answer = sol["conv_single_step"].replace("np.sum(s)", "my_sum(s)")
    learners += [
        Learner("patches-numpy", _full(sol, zero_pad=PATCH_NUMPY + "\n" + sol["zero_pad"],
                                       conv_forward=GARBAGE_CONV_FORWARD, pool_forward=GARBAGE_POOL_FORWARD),
                _scores(pts, {"conv_forward", "pool_forward"}), about="np.allclose and friends replaced",
                attention=("assigns to np.allclose",)),
        Learner("patches-tests", _full(sol, conv_backward=PATCH_TESTS), _scores(pts, {"conv_backward"}),
                about="public_tests, check and AssertionError replaced", attention=("assigns to",)),
        Learner("edits-test-cell", _full(sol, zero_pad="def zero_pad(X, pad):\n    return X\n"),
                _scores(pts, {"zero_pad"}), edit=edited_test_cell, about="a test cell rewritten to print a pass",
                attention=("zero_pad_test was edited",)),
        Learner("relabels-cells", sol, _scores(pts), edit=relabelled,
                about="a test cell deleted, points and ids changed, an answer's metadata removed",
                attention=("conv_single_step_test was deleted", "metadata of pool_forward_test")),
        Learner("recognises-public", _full(sol, conv_forward=RECOGNISES_PUBLIC), _scores(pts, {"conv_forward"}),
                about="right only on the public tests' shapes",
                attention=("conv_forward passes the public tests but not the hidden tests",)),
        Learner("kills-kernel", _full(sol, pool_forward=KILLS_KERNEL), _scores(pts, {"pool_forward"}),
                about="os._exit in pool_forward", attention=("pool_forward: died",)),
        Learner("loops-forever", _full(sol, create_mask_from_window=LOOPS_FOREVER),
                _scores(pts, {"create_mask_from_window"}), about="an endless loop in a function",
                attention=("create_mask_from_window: timeout",)),
        Learner("eats-memory", _full(sol, distribute_value=EATS_MEMORY), _scores(pts, {"distribute_value"}),
                about="allocates without end"),
        Learner("noisy-but-right", _full(sol, distribute_value=NOISY_BUT_RIGHT), _scores(pts),
                about="stderr and warnings in a correct function"),
        Learner("returns-liar", _full(sol, zero_pad=LIAR_OBJECT), _scores(pts, {"zero_pad"}),
                about="returns an object equal to everything"),
        Learner("fake-pass-line", _full(sol, conv_single_step=FAKE_PASS_LINE), _scores(pts, {"conv_single_step"}),
                about="prints the pass line itself"),
        Learner("raises-interrupt", _full(sol, pool_backward=RAISES_INTERRUPT), _scores(pts, {"pool_backward"}),
                about="raises KeyboardInterrupt"),
        Learner("loops-and-exits-at-top", sol, _scores(pts), edit=loops_and_exits,
                about="its own cells loop forever and end the process; the functions come after",
                attention=("did not finish", "stopped the learner's process")),
        Learner("magics", _full(sol, conv_single_step=my_sum_answer), _scores(pts), edit=magics,
                about="IPython magics and a helper defined under %%time"),
        Learner("syntax-error", _full(sol, pool_forward="def pool_forward(A_prev, hparameters, mode='max'):\n"
                                                         "    return (\n"),
                _scores(pts, {"pool_forward"}), about="an answer cell that does not parse"),
        Learner("part1-only", sol, _scores(pts, part2), notebooks={"part1_forward"},
                about="part 2 not handed in", attention=("no notebook part2_backward.ipynb",)),
        Learner("broken-part2", sol, _scores(pts, part2), after=broken_json, about="part 2 is not JSON",
                attention=("part2_backward.ipynb is not a notebook",)),
        Learner("escapes", sol, _scores(pts), edit=escapes, about="tries to read secrets, write, fork, "
                "signal the grader and connect out"),
    ]
    if files_protected:
        oracle = uses_oracle(ROOT / "instructor" / "oracles.py")
        learners.append(Learner("uses-oracle", _full(sol, conv_backward=oracle), _scores(pts, {"conv_backward"}),
                                about="reads the reference implementation"))
    return learners


def hand_in(course: Path, learners: list[Learner]) -> None:
    for learner in learners:
        submit(course, learner.student, learner.answers, learner.extra_files, edit=learner.edit,
               notebooks=learner.notebooks)
        if learner.after:
            learner.after(course, learner.student)


def make_course(root: Path, assignments=(ASSIGNMENT,)) -> Path:
    """A course folder with the given assignments' sources and student versions."""
    import shutil

    from nbgrader.apps import NbGraderAPI

    from instructor import release
    for assignment in assignments:
        shutil.copytree(ROOT / "solutions" / assignment, root / "solutions" / assignment)
    api = NbGraderAPI(config=release.nbgrader_config(root))
    for assignment in assignments:
        result = api.generate_assignment(assignment, force=True)
        assert result["success"], result["log"]
    return root

"""nbgrader round trip in a temporary course folder, and the staleness of notebooks/."""

import re
import shutil
from pathlib import Path

import pytest

from classroom import answer_sources, submit
from conftest import ROOT
from instructor import release

pytestmark = pytest.mark.slow

ASSIGNMENT = "assignment1"
GRADED = {"assignment1": 8, "assignment2": 5, "assignment3": 5}
GRADED_A1 = ("zero_pad", "conv_single_step", "conv_forward", "pool_forward", "conv_backward",
             "create_mask_from_window", "distribute_value", "pool_backward")

# One learner bug per exercise family; each must cost that exercise's points only.
BUGS = {
    # zero_pad is a helper of conv_forward: conv_forward must keep its points.
    "zero_pad": '''
def zero_pad(X, pad):
    return np.pad(X, ((pad, pad), (pad, pad), (pad, pad), (pad, pad)))
''',
    "conv_backward": '''
def conv_backward(dZ, cache):
    (A_prev, W, b, hparameters) = cache
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    f = W.shape[0]
    pad = hparameters["pad"]
    m, n_H, n_W, n_C = dZ.shape
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
    A_pad = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    dA_pad = np.zeros(A_pad.shape)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    dA_pad[i, h:h + f, w:w + f, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += A_pad[i, h:h + f, w:w + f, :] * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
    return dA_pad[:, pad:pad + n_H_prev, pad:pad + n_W_prev, :], dW, db
''',
    # A helper of pool_backward: pool_backward must keep its points.
    "create_mask_from_window": '''
def create_mask_from_window(x):
    return x == np.min(x)
''',
}

# Assignment 2: col2im is a helper of all three layers, which must keep their points.
BUGS_A2 = {
    "col2im": '''
def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for y in range(filter_h):
        for x in range(filter_w):
            img[:, :, y:y + stride * out_h:stride, x:x + stride * out_w:stride] = col[:, :, y, x]
    return img[:, :, pad:pad + H, pad:pad + W]
''',
    "AvgPool": '''
class AvgPool:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x):
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1
        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad).reshape(-1, self.pool_h * self.pool_w)
        self.x = x
        return col.mean(axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        size = self.pool_h * self.pool_w
        dout = dout.transpose(0, 2, 3, 1)
        dcol = np.repeat(dout.reshape(-1, 1), size, axis=1)  # forgot to divide by the area
        dcol = dcol.reshape(dout.shape[0] * dout.shape[1] * dout.shape[2], -1)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)
''',
}

# Assignment 3: Relu is a layer of SimpleCNN, which must keep its points.
BUGS_A3 = {
    "Relu": '''
class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        return np.where(self.mask, 0.0, x)

    def backward(self, dout):
        return dout  # lets the gradient through everywhere
''',
}

WARNS = '''
def distribute_value(dz, shape):
    import warnings
    (n_H, n_W) = shape
    warnings.warn("a learner's stray warning", RuntimeWarning)
    return np.ones(shape) * dz / (n_H * n_W)
'''


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    release.generate_elsewhere(root)
    return root


@pytest.fixture(scope="module")
def api(course):
    from nbgrader.apps import NbGraderAPI
    return NbGraderAPI(config=release.nbgrader_config(course))


def scores(course, student, assignment=ASSIGNMENT):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission(assignment, student)
        return {g.name.removesuffix("_test"): (g.score, g.max_score)
                for nb in sub.notebooks for g in nb.grades}


def autograde(api, course, student, assignment=ASSIGNMENT):
    result = api.autograde(assignment, student, force=True, create=True)
    assert result["success"], result["log"] + str(result["error"])
    return scores(course, student, assignment)


@pytest.mark.parametrize("assignment", sorted(GRADED))
def test_solutions_score_full_marks(api, course, assignment):
    submit(course, "perfect", answer_sources(assignment), assignment=assignment)
    got = autograde(api, course, "perfect", assignment)
    assert len(got) == GRADED[assignment]
    assert all(score == max_score > 0 for score, max_score in got.values()), got


@pytest.mark.parametrize("assignment", sorted(GRADED))
def test_untouched_student_version_scores_zero(api, course, assignment):
    submit(course, "stub", assignment=assignment)
    got = autograde(api, course, "stub", assignment)
    assert len(got) == GRADED[assignment] and all(score == 0 for score, _ in got.values()), got


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_one_bug_costs_one_exercise(api, course, bug):
    student = f"bug-{bug}"
    submit(course, student, {**answer_sources(), bug: BUGS[bug]})
    got = autograde(api, course, student)
    lost = {name for name, (score, max_score) in got.items() if score != max_score}
    assert lost == {bug}, got
    assert got[bug][0] == 0


@pytest.mark.parametrize("assignment, bug", [("assignment2", b) for b in sorted(BUGS_A2)]
                         + [("assignment3", b) for b in sorted(BUGS_A3)])
def test_one_bug_costs_one_exercise_in_later_assignments(api, course, assignment, bug):
    student = f"bug-{bug}"
    source = {**BUGS_A2, **BUGS_A3}[bug]
    submit(course, student, {**answer_sources(assignment), bug: source}, assignment=assignment)
    got = autograde(api, course, student, assignment)
    lost = {name for name, (score, max_score) in got.items() if score != max_score}
    assert lost == {bug}, got


def test_a_warning_in_a_correct_answer_costs_nothing(api, course):
    submit(course, "warns", {**answer_sources(), "distribute_value": WARNS})
    got = autograde(api, course, "warns")
    assert all(score == max_score for score, max_score in got.values()), got


def test_a_submitted_public_tests_file_is_ignored(api, course):
    cheat = "def __getattr__(name):\n    return lambda target: print('all passed')\n"
    submit(course, "own-tests", extra_files={"public_tests.py": cheat})
    got = autograde(api, course, "own-tests")
    assert all(score == 0 for score, _ in got.values()), got


def test_student_notebooks_are_up_to_date():
    assert release.stale_notebooks() == [], "run `cnnbook-release notebooks` and commit notebooks/"


def test_generation_is_byte_identical(tmp_path):
    first = release.generate_elsewhere(tmp_path / "a")
    second = release.generate_elsewhere(tmp_path / "b")
    for path in first.rglob("*.ipynb"):
        assert path.read_bytes() == (second / path.relative_to(first)).read_bytes()


@pytest.mark.parametrize("source, passes", [("solutions", True), ("notebooks", False)])
def test_validate_tells_a_learner_what_still_fails(tmp_path, source, passes):
    """`python start.py validate` runs `nbgrader validate`, as the README tells learners."""
    import subprocess
    import sys
    path = shutil.copy(ROOT / source / ASSIGNMENT / "part2_backward.ipynb", tmp_path)
    done = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    out = done.stdout + done.stderr
    if passes:
        assert "Success! Your notebook passes all the tests." in out, out
    else:
        assert "VALIDATION FAILED" in out and "conv_backward is not implemented yet" in out, out


def test_stock_nbgrader_follows_the_readme(tmp_path):
    """nbgrader's own commands on a fresh copy of the workbook, as the README's stock route says:
    generate_assignment first, then autograde; no warning about the workbook's own cells beyond
    nbgrader's notice that the hidden tests were restored, and the same scores as cnnbook-grade."""
    import csv
    import os
    import subprocess
    import sys

    from instructor.grading import cli
    course = tmp_path / "clone"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for rel in filter(None, tracked.decode().split("\0")):
        if (ROOT / rel).is_file():
            (course / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, course / rel)
    sol = answer_sources()
    learners = {"perfect": sol, "untouched": {}, "bug": {**sol, "conv_backward": BUGS["conv_backward"]}}
    for student, answers in learners.items():
        submit(course, student, answers)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    output = ""
    for command in (["generate_assignment", ASSIGNMENT, "--force"], ["autograde", ASSIGNMENT]):
        done = subprocess.run([sys.executable, "-m", "nbgrader", *command], cwd=course, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        output += done.stdout + done.stderr
    assert "explore_" not in output
    # Besides nbgrader's notice that --force replaced notebooks/ and ipykernel's about its
    # transport, the only warnings are that each test cell's hidden tests were restored.
    warned = [line for line in output.splitlines() if "WARNING" in line and "Kernel is running over TCP" not in line
              and "Removing existing assignment" not in line]
    hidden = {f"{gid}_test" for gid in GRADED_A1}
    for line in warned:
        restored = re.match(r"\[AutogradeApp \| WARNING\] Attribute 'checksum' for cell (\w+) has changed", line)
        assert restored and restored[1] in hidden, line
    stock = {student: scores(course, student) for student in learners}

    # Formgrader lists the course's assignments from the source folder: only graded ones, and
    # renders a submission with nbconvert, where the figures come from inside the notebook.
    from nbconvert import HTMLExporter
    from nbgrader.apps import NbGraderAPI
    config = release.nbgrader_config(course)
    assert NbGraderAPI(config=config).get_source_assignments() == set(release.GRADED_ASSIGNMENTS)
    autograded = str(course / "autograded" / "perfect" / ASSIGNMENT / "part1_forward.ipynb")
    page, _ = HTMLExporter(config=config).from_filename(autograded)  # as formgrader makes it
    assert len(re.findall(r"<img [^>]*src=.data:image/svg\+xml;base64,", page)) == 5
    assert not re.search(r"src=.[./]*images/", page)
    assert stock["perfect"] == {ex: (p, p) for ex, (_, p) in stock["perfect"].items()}

    assert cli.main([ASSIGNMENT, "--course", str(course), "--timeout", "10", "--no-feedback", "--force"]) == 0
    with open(course / "grading" / ASSIGNMENT / "grades.csv", newline="", encoding="utf-8") as f:
        ours = {row["student_id"]: row for row in csv.DictReader(f)}
    for student in learners:
        assert {ex: float(ours[student][ex]) for ex in stock[student]} == \
            {ex: score for ex, (score, _) in stock[student].items()}, student

"""nbgrader round trip in a temporary course folder, and the staleness of notebooks/."""

import json
import shutil

import pytest

from conftest import ROOT, grade_id
from instructor import release

pytestmark = pytest.mark.slow

ASSIGNMENT = "assignment1"

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


def answer_sources():
    """grade_id -> source of each answer cell of the solutions."""
    out = {}
    for path in sorted((ROOT / "solutions" / ASSIGNMENT).glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
                out[grade_id(cell)] = "".join(cell["source"])
    return out


def submit(course, student, answers=None, extra_files=None):
    """Hand in the student notebooks with the given answer cells filled in."""
    dest = course / "submitted" / student / ASSIGNMENT
    dest.mkdir(parents=True)
    for path in sorted((course / "notebooks" / ASSIGNMENT).glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if answers and grade_id(cell) in answers:
                cell["source"] = answers[grade_id(cell)]
        (dest / path.name).write_text(json.dumps(nb, indent=1), encoding="utf-8")
    for name, text in (extra_files or {}).items():
        (dest / name).write_text(text, encoding="utf-8")


def scores(course, student):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission(ASSIGNMENT, student)
        return {g.name.removesuffix("_test"): (g.score, g.max_score)
                for nb in sub.notebooks for g in nb.grades}


def autograde(api, course, student):
    result = api.autograde(ASSIGNMENT, student, force=True, create=True)
    assert result["success"], result["log"] + str(result["error"])
    return scores(course, student)


def test_solutions_score_full_marks(api, course):
    submit(course, "perfect", answer_sources())
    got = autograde(api, course, "perfect")
    assert len(got) == 8
    assert all(score == max_score > 0 for score, max_score in got.values()), got


def test_untouched_student_version_scores_zero(api, course):
    submit(course, "stub")
    got = autograde(api, course, "stub")
    assert len(got) == 8 and all(score == 0 for score, _ in got.values()), got


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_one_bug_costs_one_exercise(api, course, bug):
    student = f"bug-{bug}"
    submit(course, student, {**answer_sources(), bug: BUGS[bug]})
    got = autograde(api, course, student)
    lost = {name for name, (score, max_score) in got.items() if score != max_score}
    assert lost == {bug}, got
    assert got[bug][0] == 0


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

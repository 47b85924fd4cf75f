"""`python start.py score` and `python start.py validate`: the learner's points, and whole messages."""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from cnnbook import course
from conftest import ROOT
from instructor import release

TOTAL = sum(a.points for a in course.ASSIGNMENTS)


def work_from(tmp_path, source):
    """A work/ folder holding the notebooks (and files beside them) of ``source``."""
    work = tmp_path / "work"
    for a in course.ASSIGNMENTS:
        shutil.copytree(source / a.name, work / a.name,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return work


def score(work, *args, cwd=ROOT, python_args=()):
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONWARNINGS="error")
    env["PATH"] = str(ROOT / ".venv" / "bin") + os.pathsep + env.get("PATH", "")
    done = subprocess.run([sys.executable, *python_args, "-m", "cnnbook.score", str(work), *args]
                          if not python_args else [sys.executable, *python_args, str(work), *args],
                          cwd=cwd, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == "", done.stderr
    return done.stdout


def points(out, label):
    m = re.search(rf"{re.escape(label)}\s+(\d+) / (\d+)", out)
    assert m, f"no line for {label} in:\n{out}"
    return int(m.group(1)), int(m.group(2))


def add_bias_inside_the_sum(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        if "Z = np.sum(s) + b.item()" in text:
            cell["source"] = text.replace("Z = np.sum(s) + b.item()", "Z = np.sum(s + b.item())")
            break
    else:
        raise AssertionError("the solution of conv_single_step changed: update this test")
    path.write_text(json.dumps(nb), encoding="utf-8")


def test_course_table_matches_the_notebooks():
    for a in course.ASSIGNMENTS:
        # Every notebook with a graded cell; an ungraded one (Assignment 1's explorers) scores nothing.
        found = sorted(p.stem for p in (ROOT / "solutions" / a.name).glob("*.ipynb")
                       if '"grade": true' in p.read_text(encoding="utf-8"))
        assert found == sorted(nb.name for nb in a.notebooks)
        for nb in a.notebooks:
            cells = json.loads((ROOT / "solutions" / nb.path).read_text(encoding="utf-8"))["cells"]
            graded = [(c["metadata"]["nbgrader"]["grade_id"].removesuffix("_test"),
                       c["metadata"]["nbgrader"]["points"]) for c in cells
                      if c["metadata"].get("nbgrader", {}).get("grade")]
            assert tuple(graded) == nb.exercises, nb.path


@pytest.mark.slow
def test_score_of_the_solutions_the_stubs_and_one_bug(tmp_path):
    solved = work_from(tmp_path / "solved", ROOT / "solutions")
    out = score(solved)
    assert "hidden tests (installed in this clone)" in out
    assert points(out, "Total") == (TOTAL, TOTAL)
    assert "✗" not in out

    stubs = work_from(tmp_path / "stubs", ROOT / "notebooks")
    out = score(stubs)
    assert points(out, "Total") == (0, TOTAL)
    assert "zero_pad is not implemented yet" in out

    add_bias_inside_the_sum(solved / "assignment1" / "part1_forward.ipynb")
    out = score(solved)
    assert points(out, "Total") == (TOTAL - 5, TOTAL)
    assert points(out, "✗ conv_single_step") == (0, 5)
    assert "b was added to every element before the sum" in out   # the whole hint
    # conv_forward keeps its points (one mistake costs once) and its line says why.
    assert points(out, "✓ conv_forward") == (15, 15)
    assert ("passes, but only with a correct conv_single_step in place of yours: your "
            "conv_single_step fails its own check") in out


def test_score_says_what_is_missing(tmp_path):
    work = tmp_path / "work"
    (work / "assignment1").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / "assignment1" / "part1_forward.ipynb", work / "assignment1")
    out = score(work, "--public")
    assert "from the public tests only" in out
    assert "assignment2/fast_layers.ipynb" in out and "(not in work/ yet)" in out
    assert points(out, "Total") == (0, TOTAL)


BUNDLE_RUNNER = """
import sys, importlib.metadata as md
bundle = sys.argv.pop(1)
sys.path.insert(0, bundle)
real = md.entry_points
# The bundle installs no grader plugins: only the public suites are registered.
md.entry_points = lambda **kw: () if kw.get("group") == "cnnbook.graders" else real(**kw)
import cnnbook, runpy
assert cnnbook.__file__.startswith(bundle), cnnbook.__file__
runpy.run_module("cnnbook.score", run_name="__main__")
"""


@pytest.mark.slow
def test_score_in_a_bundle_uses_the_public_tests(tmp_path):
    zip_path = release.build_bundle(tmp_path / "b.zip")
    zipfile.ZipFile(zip_path).extractall(tmp_path)
    bundle = tmp_path / release.BUNDLE_NAME
    runner = tmp_path / "runner.py"
    runner.write_text(BUNDLE_RUNNER)

    solved = work_from(tmp_path / "solved", ROOT / "solutions")
    out = score(solved, python_args=(str(runner), str(bundle)), cwd=tmp_path)
    assert "from the public tests only" in out
    assert points(out, "Total") == (TOTAL, TOTAL)

    stubs = work_from(tmp_path / "stubs", bundle / "notebooks")
    assert points(score(stubs, python_args=(str(runner), str(bundle)), cwd=tmp_path),
                  "Total") == (0, TOTAL)

    add_bias_inside_the_sum(solved / "assignment1" / "part1_forward.ipynb")
    out = score(solved, python_args=(str(runner), str(bundle)), cwd=tmp_path)
    # Without the reference helpers, conv_forward is checked with the learner's own helper.
    assert points(out, "✗ conv_single_step") == (0, 5)
    assert points(out, "Total") < (TOTAL - 5, TOTAL)
    assert "calls your conv_single_step, which does not pass conv_single_step_test" in out


@pytest.mark.slow
def test_validate_prints_the_whole_hint_and_fails(tmp_path):
    work = tmp_path / "work" / "assignment1"
    work.mkdir(parents=True)
    nb = work / "part1_forward.ipynb"
    shutil.copy(ROOT / "solutions" / "assignment1" / "part1_forward.ipynb", nb)
    add_bias_inside_the_sum(nb)
    env = dict(os.environ, PATH=str(ROOT / ".venv" / "bin") + os.pathsep + os.environ["PATH"])
    done = subprocess.run([sys.executable, "-m", "cnnbook.validate", str(nb)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    assert ("Hint: b was added to every element before the sum, so it counts f*f*n_C times: "
            "sum a_slice_prev * W first, then add b once") in done.stdout
    assert "1 cell(s) fail" in done.stdout


def test_score_counts_only_what_was_handed_out(tmp_path):
    """In a bundle of Assignment 1 (its notebooks/ beside work/), the total is out of A1's points."""
    shutil.copytree(ROOT / "notebooks" / "assignment1", tmp_path / "notebooks" / "assignment1")
    shutil.copytree(ROOT / "notebooks" / "assignment1", tmp_path / "work" / "assignment1")
    out = score(tmp_path / "work", "--public")
    assert "assignment2: Fast layers with im2col: not handed out yet" in out
    assert points(out, "Total") == (0, course.assignment("assignment1").points)

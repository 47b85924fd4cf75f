"""What surrounds the exercises: a light install, an untouched training cell that says what is
missing without drawing, and the learner's own Assignment 2 layers in Assignment 3."""

import json
import re
import shutil
import tomllib

import numpy as np
import pytest

from cnnbook import given, training
from conftest import ROOT
from instructor import release


def names(deps):
    return {re.match(r"[A-Za-z0-9_.-]+", d).group(0).lower() for d in deps}


def test_a_learner_installs_no_instructor_or_test_tools():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = names(project["dependencies"])
    assert {"nbgrader", "jupyterlab", "numpy"} <= base  # validate and the notebooks need them
    assert not base & {"scikit-learn", "psycopg", "dask", "pytest", "playwright", "nbclient"}
    extras = project["optional-dependencies"]
    assert names(extras["instructor"]) == {"scikit-learn", "jinja2"}
    assert names(extras["grading"]) == {"dask"} and names(extras["postgres"]) == {"psycopg"}
    # `start.py test` installs them all
    assert "cnn-step-by-step[instructor,grading,postgres]" in extras["test"]
    bundle = tomllib.loads(release.student_pyproject())["project"]
    assert "optional-dependencies" not in bundle and names(bundle["dependencies"]) == base


class StubRelu:
    def forward(self, x):
        raise NotImplementedError()


class StubNet:
    params = {"W": np.zeros(2)}

    def gradient(self, x, labels):
        return StubRelu().forward(x)


def test_untouched_training_says_what_is_missing_before_drawing(monkeypatch):
    def no_figures(*args):
        raise AssertionError("a figure was drawn before the stubs were found")

    monkeypatch.setattr(training, "LiveView", no_figures)
    data = {"train": (np.zeros((4, 1, 8, 8)), np.zeros(4, dtype=int)),
            "val": (np.zeros((2, 1, 8, 8)), np.zeros(2, dtype=int))}
    with pytest.raises(NotImplementedError) as err:
        training.train(StubNet(), data, lambda *a: None, epochs=1, live=True)
    assert training.what_is_missing(err.value) == "StubRelu.forward is not implemented yet"


def test_assignment3_uses_the_learners_own_layers_once_they_pass(tmp_path, capsys):
    work = tmp_path / "work"
    (work / "assignment3").mkdir(parents=True)
    conv, pool = given.assignment2_layers(work / "assignment3")
    assert "python start.py layers" in capsys.readouterr().out  # said in one line, not raised
    with pytest.raises(given.LayersMissing, match="python start.py layers"):
        conv(np.zeros((2, 1, 3, 3)), np.zeros(2))  # a NotImplementedError when a layer is made
    shutil.copytree(ROOT / "notebooks" / "assignment2", work / "assignment2")
    conv, pool = given.assignment2_layers(work / "assignment3")
    assert "your im2col, col2im, Convolution, MaxPool" in capsys.readouterr().out
    with pytest.raises(NotImplementedError, match="do not pass their checks yet"):
        pool(2, 2, 2)
    shutil.copy(ROOT / "solutions" / "assignment2" / "fast_layers.ipynb", work / "assignment2")
    conv, pool = given.assignment2_layers(work / "assignment3")
    assert conv.__name__ == "Convolution" and pool.__name__ == "MaxPool"
    assert "Using your own Convolution and MaxPool" in capsys.readouterr().out
    shutil.copy(ROOT / "notebooks" / "assignment3" / "fast_layers.py", work / "assignment3")
    given.assignment2_layers(work / "assignment3")
    assert "Using the given layers of fast_layers.py" in capsys.readouterr().out


def test_assignment2_recipe_is_folded_into_hints():
    cells = json.loads((ROOT / "notebooks" / "assignment2" / "fast_layers.ipynb").read_text())["cells"]
    text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    for recipe in ("sliding_window_view", "transpose(1, 4, 5, 0, 2, 3)"):
        start = text.index(recipe)
        assert text.rfind("<details>", 0, start) > text.rfind("</details>", 0, start), recipe

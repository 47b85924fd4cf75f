"""Shared fixtures: the repository root, an isolated Jupyter home, notebook running."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def isolated_home(tmp_path_factory):
    """Keep Jupyter, IPython and matplotlib state out of the user's home, and put the
    environment's bin first on PATH (nbgrader calls its tools from there)."""
    home = tmp_path_factory.mktemp("home")
    names = ["JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
             "MPLCONFIGDIR", "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR",
             "XDG_CONFIG_HOME", "XDG_CACHE_HOME"]
    saved = {n: os.environ.get(n) for n in names + ["PATH"]}
    for n in names:
        (home / n.lower()).mkdir()
        os.environ[n] = str(home / n.lower())
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    yield home
    for n, v in saved.items():
        if v is None:
            os.environ.pop(n, None)
        else:
            os.environ[n] = v


def execute(path: Path, cwd: Path, allow_errors: bool = False, timeout: int = 120):
    """Run a notebook top to bottom in ``cwd`` as a learner would; return the executed notebook."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def is_graded(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade"))

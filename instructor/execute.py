"""Run notebooks as a learner would, in a Jupyter home of their own."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

# Where Jupyter, IPython, matplotlib and Chromium keep state under the user's home.
STATE_VARIABLES = ["JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                   "MPLCONFIGDIR", "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR",
                   "XDG_CONFIG_HOME", "XDG_CACHE_HOME"]


@contextmanager
def isolated_home(home: Path):
    """Point every state folder into ``home`` and put this environment's bin first on PATH
    (nbgrader calls its tools from there); restore the environment afterwards."""
    saved = {n: os.environ.get(n) for n in STATE_VARIABLES + ["PATH"]}
    try:
        for n in STATE_VARIABLES:
            (home / n.lower()).mkdir(parents=True, exist_ok=True)
            os.environ[n] = str(home / n.lower())
        os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
        yield home
    finally:
        for n, v in saved.items():
            if v is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = v


def copy_with_files(path: Path, dest: Path) -> Path:
    """Copy a notebook's folder (the notebook and the files it imports) to ``dest``; return
    the copied notebook's path."""
    import shutil

    shutil.copytree(path.parent, dest, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return dest / path.name


def execute(path: Path, cwd: Path, allow_errors: bool = False, timeout: int = 120):
    """Run a notebook top to bottom in ``cwd``; return the executed notebook."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb

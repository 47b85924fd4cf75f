"""Set up the workbook and open it, run its tests, or check your notebooks.

    python start.py [ARGS]       set up, copy the notebooks to work/, open JupyterLab
                                 (ARGS go to jupyter lab, e.g. --no-browser --port 8890)
    python start.py test [ARGS]  set up with the test tools, run the whole test suite
                                 (ARGS go to pytest, e.g. -m "not slow" for the fast subset)
    python start.py validate     run nbgrader validate on your notebooks in work/
    python start.py setup        only set up (a virtual environment in .venv)

Works the same on Windows, macOS and Linux with Python 3.11 or newer, and needs
nothing else: it makes its own virtual environment in .venv and installs the
workbook's packages into it. Your copies of the notebooks live in work/, which
is never overwritten: a notebook that is already there is left as it is.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
WORK = ROOT / "work"
NOTEBOOKS = ROOT / "notebooks"


def fail(message: str) -> None:
    print(f"start.py: {message}", file=sys.stderr)
    sys.exit(1)


def venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def venv_env() -> dict[str, str]:
    """The environment of a command run inside .venv (nbgrader calls tools from its bin)."""
    env = dict(os.environ)
    env["PATH"] = str(venv_python().parent) + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = str(VENV)
    env.pop("PYTHONHOME", None)
    return env


def run(*cmd, **kw) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    result = subprocess.run([str(c) for c in cmd], env=venv_env(), **kw)
    if result.returncode != 0:
        fail(f"this step failed (exit code {result.returncode}): {' '.join(map(str, cmd))}")


def setup(extras: str = "") -> None:
    """Create .venv and install the workbook into it, unless that is already done."""
    if sys.version_info < (3, 11):
        fail(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    if not venv_python().exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
    # Reinstall only when the package list changed since the last install.
    spec = f".[{extras}]" if extras else "."
    stamp = VENV / f".installed{'-' + extras if extras else ''}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + spec.encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("Installing the workbook's packages (the first time takes a minute or two) ...",
          flush=True)
    run(venv_python(), "-m", "pip", "install", "--disable-pip-version-check", "-q",
        "-e", spec, cwd=ROOT)
    stamp.write_text(digest)


def copy_notebooks() -> list[Path]:
    """Copy the student notebooks (and files beside them) into work/, keeping every file there."""
    copied = []
    for src in sorted(p for p in NOTEBOOKS.rglob("*") if p.is_file()):
        if ".ipynb_checkpoints" in src.parts or "__pycache__" in src.parts:
            continue
        dest = WORK / src.relative_to(NOTEBOOKS)
        if dest.exists():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
        copied.append(dest)
    return copied


def first_notebook() -> Path | None:
    found = sorted(WORK.rglob("*.ipynb"))
    found = [p for p in found if ".ipynb_checkpoints" not in p.parts]
    return found[0] if found else None


def open_lab(extra: list[str]) -> None:
    setup()
    for path in copy_notebooks():
        print(f"New in your work folder: {path.relative_to(ROOT)}")
    target = first_notebook()
    print("Opening JupyterLab; stop it with Ctrl+C in this window.", flush=True)
    # Serve the whole workbook (the notebooks show figures from images/), open the first notebook.
    cmd = [venv_python(), "-m", "jupyter", "lab", f"--ServerApp.root_dir={ROOT}"]
    if target is not None:
        cmd.append(f"--LabApp.default_url=/lab/tree/{target.relative_to(ROOT).as_posix()}")
    if getattr(os, "geteuid", lambda: 1)() == 0 and "--allow-root" not in extra:
        cmd.append("--allow-root")  # JupyterLab refuses to start as root otherwise (containers)
    cmd += extra
    try:
        subprocess.run([str(c) for c in cmd], env=venv_env(), cwd=ROOT)
    except KeyboardInterrupt:
        pass


def test(extra: list[str]) -> None:
    setup("test")
    cmd = [venv_python(), "-m", "pytest", *extra]
    print("+", " ".join(map(str, cmd)), flush=True)
    sys.exit(subprocess.run([str(c) for c in cmd], env=venv_env(), cwd=ROOT).returncode)


def validate(extra: list[str]) -> None:
    setup()
    paths = extra or [p.relative_to(ROOT).as_posix() for p in sorted(WORK.rglob("*.ipynb"))
                      if ".ipynb_checkpoints" not in p.parts]
    if not paths:
        fail("there is nothing to validate in work/ yet: run `python start.py` first")
    sys.exit(subprocess.run([str(venv_python()), "-m", "nbgrader", "validate", *paths],
                            env=venv_env(), cwd=ROOT).returncode)


def main(argv: list[str]) -> None:
    if argv and argv[0] in ("help", "-h", "--help"):
        print(__doc__)
        return
    command, extra = (argv[0], argv[1:]) if argv and not argv[0].startswith("-") else ("open", argv)
    commands = {"open": open_lab, "test": test, "validate": validate,
                "setup": lambda _extra: setup()}
    if command not in commands:
        print(__doc__)
        fail(f"unknown command {command!r}")
    commands[command](extra)


if __name__ == "__main__":
    main(sys.argv[1:])

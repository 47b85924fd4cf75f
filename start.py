"""Set up the workbook and open it, run its tests, or check your notebooks.

    python start.py [ARGS]       set up, copy the notebooks to work/, open JupyterLab
                                 (ARGS go to jupyter lab, e.g. --no-browser --port 8890)
    python start.py test [ARGS]  set up with the test tools (and the instructor's extras), run the tests
                                 (ARGS go to pytest, e.g. -m "not slow" for the fast subset)
    python start.py score        your points per exercise and assignment, and the total
    python start.py validate [NOTEBOOK ...]
                                 run your notebooks in work/ as the grader does; print every
                                 failing cell's whole message (exit code 1 if any fails)
    python start.py layers       copy Assignment 2's given layers (its answers) into work/
    python start.py setup        only set up (a virtual environment in .venv)

Works the same on Windows, macOS and Linux with Python 3.11 or newer, and needs
nothing else: it makes its own virtual environment in .venv and installs the
workbook's packages into it. Your copies of the notebooks live in work/, which
is never overwritten: a notebook that is already there is left as it is.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
WORK = ROOT / "work"
NOTEBOOKS = ROOT / "notebooks"
IMAGES = ROOT / "images"
START_PAGE = "start_here.ipynb"
# Given code that holds the answers of an earlier assignment: copied into work/ only when the
# learner asks for it (`python start.py layers`). Path in notebooks/ -> what it holds.
GIVEN = {"assignment3/fast_layers.py":
         "the layers of Assignment 2 (im2col, col2im, Convolution, MaxPool): its answers"}
# The JupyterLab front-end plugins of nbgrader that are the instructor's; Validate stays.
INSTRUCTOR_PLUGINS = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                      "@jupyter/nbgrader:course-list", "@jupyter/nbgrader:assignment-list",
                      "@jupyter/nbgrader:menu"]
INSTRUCTOR_SERVER_EXTENSIONS = ["nbgrader.server_extensions.formgrader",
                                "nbgrader.server_extensions.course_list",
                                "nbgrader.server_extensions.assignment_list"]


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


VERBOSE = bool(os.environ.get("CNNBOOK_VERBOSE"))


class InstallFailed(Exception):
    pass


# Lines of pip's and uv's output that show progress: pip's one per package as it is fetched,
# uv's one per stage (it fetches in parallel), and the summaries.
PROGRESS = ("Collecting ", "Installing collected", "Successfully installed", "Resolved ",
            "Prepared ", "Installed ", "Audited ")


def run(*cmd, filter_output: bool = False, keep_going: bool = False, **kw) -> None:
    """Run cmd in .venv's environment; with filter_output, show only the installer's lines of
    progress, and its whole output if it fails. A failure ends start.py, or with keep_going
    raises InstallFailed."""
    print("+", " ".join(str(c) for c in cmd), flush=True)
    quiet = filter_output and kw.pop("stdout", subprocess.PIPE) is not None
    kw.pop("stdout", None)
    try:
        proc = subprocess.Popen([str(c) for c in cmd], env=venv_env(),
                                stdout=subprocess.PIPE if quiet else None,
                                stderr=subprocess.STDOUT if quiet else None,
                                text=True, errors="replace", **kw)
    except OSError as err:
        if keep_going:
            raise InstallFailed(str(err)) from None
        fail(f"this step could not start ({err}): {' '.join(map(str, cmd))}")
    seen = []
    if quiet:
        for line in proc.stdout:
            seen.append(line)
            if line.startswith(PROGRESS):
                text = line.strip()
                print("    " + (text[:100] + " ..." if len(text) > 104 else text), flush=True)
    if proc.wait() != 0:
        print("".join(seen[-60:]), end="")
        if keep_going:
            raise InstallFailed(f"exit code {proc.returncode}")
        fail(f"this step failed (exit code {proc.returncode}): {' '.join(map(str, cmd))}")


def installer() -> str:
    """The installer to use: CNNBOOK_INSTALLER=pip or uv, or auto (the default)."""
    choice = os.environ.get("CNNBOOK_INSTALLER", "auto").strip().lower() or "auto"
    if choice not in ("auto", "pip", "uv"):
        fail(f"CNNBOOK_INSTALLER must be auto, pip or uv, not {choice!r}")
    return AUTO_INSTALLER if choice == "auto" else choice


# What `auto` means: the installer benchmarks/startup.py measured fastest for a first start
# (2 cores, empty caches: JupyterLab serving after 22-25 s with uv, 50-86 s with pip). uv is
# installed into .venv from the registry first; pip takes over if that or uv itself fails.
AUTO_INSTALLER = "uv"


def install(spec: str) -> None:
    """pip install -e spec into .venv; with uv (installed into .venv first) if chosen, and
    with pip if uv cannot be installed or fails."""
    pip = [venv_python(), "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off"]
    if installer() == "uv":
        try:
            run(*pip, "uv", cwd=ROOT, keep_going=True, filter_output=True)
            uv = venv_python().parent / ("uv.exe" if os.name == "nt" else "uv")
            run(uv, "pip", "install", "--python", venv_python(), "-e", spec, cwd=ROOT,
                filter_output=True, keep_going=True)
            return
        except InstallFailed as err:
            print(f"    uv did not work ({err}); installing with pip instead.", flush=True)
    run(*pip, "-e", spec, cwd=ROOT, stdout=None if VERBOSE else subprocess.PIPE, filter_output=True)


def setup(extras: str = "") -> None:
    """Create .venv and install the workbook into it, unless that is already done."""
    if sys.version_info < (3, 11):
        fail(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    # Reinstall only when the package list changed since the last install.
    spec = f".[{extras}]" if extras else "."
    stamp = VENV / f".installed{'-' + extras if extras else ''}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + spec.encode()).hexdigest()
    if venv_python().exists() and stamp.exists() and stamp.read_text() == digest:
        return
    started = time.monotonic()
    if not venv_python().exists():
        print(f"[1/3] Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
    print("[2/3] Installing the workbook's packages into it (the first time takes up to a "
          "minute or two; each step is shown as it goes) ...", flush=True)
    install(spec)
    stamp.write_text(digest)
    print(f"[3/3] Set up in {time.monotonic() - started:.0f} s.", flush=True)


def copy_notebooks() -> list[Path]:
    """Copy the student notebooks (and files beside them) into work/, keeping every file there."""
    copied = []
    for src in sorted(p for p in NOTEBOOKS.rglob("*") if p.is_file()):
        if ".ipynb_checkpoints" in src.parts or "__pycache__" in src.parts:
            continue
        if src.relative_to(NOTEBOOKS).as_posix() in GIVEN:
            continue  # the answers of an earlier assignment: only when asked for (`layers`)
        dest = WORK / src.relative_to(NOTEBOOKS)
        if dest.exists():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
        copied.append(dest)
    return copied


def copy_images() -> None:
    """The figures the notebooks show, in work/images/ (JupyterLab serves work/ only)."""
    if not IMAGES.is_dir():
        return
    for src in sorted(IMAGES.glob("*.svg")):
        dest = WORK / "images" / src.name
        if not dest.exists() or dest.read_bytes() != src.read_bytes():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)


def copy_given(names=None) -> list[Path]:
    """Copy given code (the answers of an earlier assignment) into work/, never overwriting."""
    copied = []
    for rel in GIVEN if names is None else names:
        src, dest = NOTEBOOKS / rel, WORK / rel
        if src.exists() and not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
            copied.append(dest)
    return copied


# What each assignment's explorers notebook shows, for the start page's links.
EXPLORERS = ("padding, convolution, pooling and their gradients",
             "im2col, col2im and the arithmetic of a convolution",
             "the trained network: feature maps, saliency and occlusion")


def start_page() -> str:
    """work/start_here.ipynb: the assignments in order, with their points and links."""
    sys.path.insert(0, str(ROOT))
    try:
        from cnnbook import course
    finally:
        sys.path.pop(0)
    lines = ["# Start here", "",
             "Work through the notebooks in this order; each ends with a link to the next. "
             "Click a name to open it.", "",
             "| | Notebook | Exercises | Points |", "| --- | --- | --- | --- |"]
    total = 0
    for i, a in enumerate(course.ASSIGNMENTS, 1):
        for nb in a.notebooks:
            exercises = ", ".join(f"`{name}` ({p})" for name, p in nb.exercises)
            label = a.title if nb.title == a.title else f"{a.title}: {nb.title}"
            if (NOTEBOOKS / nb.path).exists():
                total += nb.points
                lines.append(f"| {i} | [{label}]({nb.path}) | {exercises} | {nb.points} |")
            else:
                lines.append(f"| {i} | {label} (not handed out yet) | {exercises} | |")
    explorers = [f"[{title}]({a.name}/explorers.ipynb)" for a, title in zip(course.ASSIGNMENTS, EXPLORERS)
                 if (NOTEBOOKS / a.name / "explorers.ipynb").exists()]
    lines += [f"| | **Total** | | **{total}** |", "",
              "Optional, not graded: the explorers of each assignment show its layers at work on "
              "small grids of numbers: " + "; ".join(explorers) + ".", "",
              "**Your score.** Run the cell below, or `python start.py score` in the workbook's "
              "folder, to see the points you have earned in every notebook so far. The last cell "
              "of each notebook shows that notebook's score.", "",
              "**Before you hand in**, run `python start.py validate`: it runs your notebooks "
              "from the top as the grader does and prints every failing cell's whole message.",
              "", "*This page is written again each time you run `python start.py`: keep no "
              "notes here.*"]
    markdown = {"cell_type": "markdown", "metadata": {}, "source": "\n".join(lines)}
    code = {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
            "source": "# Your score from the public tests, over every notebook in this folder\n"
                      "from cnnbook.score import main\nmain([\".\", \"--public\"]);"}
    nb = {"cells": [markdown, code], "nbformat": 4, "nbformat_minor": 5,
          "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                      "name": "python3"},
                       "language_info": {"name": "python"}}}
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def write_start_page() -> Path:
    path = WORK / START_PAGE
    text = start_page()
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    return path


def learner_lab(extra: list[str], base: Path | None = None) -> tuple[list[str], dict[str, str]]:
    """The command and environment of the learner's JupyterLab: work/ as its root, opening
    on the start page, nbgrader's instructor tools (Formgrader, Create Assignment, the course
    and assignment lists, their menu) off and its Validate button kept, line numbers on, no
    news pop-up. Its configuration is its own (in ``base``, by default .venv/cnnbook-learner):
    a plain `jupyter lab` in .venv keeps all of nbgrader's tools."""
    base = base or VENV / "cnnbook-learner"
    settings, config = base / "lab-settings", base / "config"
    settings.mkdir(parents=True, exist_ok=True)
    config.mkdir(parents=True, exist_ok=True)
    (settings / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {name: True for name in INSTRUCTOR_PLUGINS}}, indent=1))
    (settings / "overrides.json").write_text(json.dumps({
        "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                        "checkForUpdates": False},
        "@jupyterlab/notebook-extension:tracker": {"codeCellConfig": {"lineNumbers": True}},
    }, indent=1))
    (config / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {name: False for name in INSTRUCTOR_SERVER_EXTENSIONS}}},
        indent=1))
    env = venv_env()
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        [str(config)] + [p for p in env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p])
    cmd = [str(venv_python()), "-m", "jupyter", "lab", f"--ServerApp.root_dir={WORK}",
           f"--LabApp.app_settings_dir={settings}", f"--LabApp.default_url=/lab/tree/{START_PAGE}"]
    if getattr(os, "geteuid", lambda: 1)() == 0 and "--allow-root" not in extra:
        cmd.append("--allow-root")  # JupyterLab refuses to start as root otherwise (containers)
    return cmd + list(extra), env


def open_lab(extra: list[str]) -> None:
    setup()
    for path in copy_notebooks():
        print(f"New in your work folder: {path.relative_to(ROOT)}")
    copy_images()
    write_start_page()
    for rel, what in GIVEN.items():
        if (NOTEBOOKS / rel).exists() and not (WORK / rel).exists():
            print(f"Not copied: {rel}, {what}. When you reach Assignment 3, its notebook uses "
                  "your own Assignment 2 once it passes, or run `python start.py layers`.")
    print("Opening JupyterLab on work/; stop it with Ctrl+C in this window.", flush=True)
    cmd, env = learner_lab(extra)
    try:
        subprocess.run(cmd, env=env, cwd=WORK)
    except KeyboardInterrupt:
        pass


def layers(extra: list[str]) -> None:
    copied = copy_given()
    for rel, what in GIVEN.items():
        dest = WORK / rel
        if dest in copied:
            print(f"Copied {dest.relative_to(ROOT)}: {what}.")
        elif dest.exists():
            print(f"{dest.relative_to(ROOT)} is already there: {what}.")
        else:
            print(f"{rel} is not in this workbook yet (its assignment is not released).")


def test(extra: list[str]) -> None:
    setup("test")
    cmd = [venv_python(), "-m", "pytest", *extra]
    print("+", " ".join(map(str, cmd)), flush=True)
    sys.exit(subprocess.run([str(c) for c in cmd], env=venv_env(), cwd=ROOT).returncode)


def notebooks_in_work() -> list[str]:
    return [p.relative_to(ROOT).as_posix() for p in sorted(WORK.rglob("*.ipynb"))
            if ".ipynb_checkpoints" not in p.parts and p.name != START_PAGE]


def validate(extra: list[str]) -> None:
    setup()
    paths = extra or notebooks_in_work()
    if not paths:
        fail("there is nothing to validate in work/ yet: run `python start.py` first")
    sys.exit(subprocess.run([str(venv_python()), "-m", "cnnbook.validate", *paths],
                            env=venv_env(), cwd=ROOT).returncode)


def score(extra: list[str]) -> None:
    setup()
    if not WORK.is_dir() and not extra:
        fail("there is nothing to score in work/ yet: run `python start.py` first")
    sys.exit(subprocess.run([str(venv_python()), "-m", "cnnbook.score", *(extra or ["work"])],
                            env=venv_env(), cwd=ROOT).returncode)


def main(argv: list[str]) -> None:
    if argv and argv[0] in ("help", "-h", "--help"):
        print(__doc__)
        return
    command, extra = (argv[0], argv[1:]) if argv and not argv[0].startswith("-") else ("open", argv)
    commands = {"open": open_lab, "test": test, "validate": validate, "score": score,
                "layers": layers, "setup": lambda _extra: setup()}
    if command not in commands:
        print(__doc__)
        fail(f"unknown command {command!r}")
    commands[command](extra)


if __name__ == "__main__":
    main(sys.argv[1:])

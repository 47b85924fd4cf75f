"""The README's two commands in a fresh clone, as a new user runs them."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import ROOT
from services import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of the workbook")
    dest = tmp_path_factory.mktemp("clone") / "workbook"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(dest)], check=True)
    return dest


def test_setup_and_test_command(clone):
    """`python start.py test` sets up .venv and runs the tests (one here, to keep it short)."""
    done = subprocess.run([sys.executable, "start.py", "test", "-q", "-m", "not slow",
                           "tests/test_setup.py::test_readme_gives_the_two_commands"],
                          cwd=clone, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 passed" in done.stdout
    assert (clone / ".venv").is_dir()


def test_setup_and_open_command(clone):
    """`python start.py` copies the notebooks to work/, keeps what is there, and serves JupyterLab."""
    mine = clone / "work" / "assignment1" / "part1_forward.ipynb"
    mine.parent.mkdir(parents=True)
    mine.write_text("my answers")
    port = free_port()
    log = clone.parent / "lab.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "start.py", "--no-browser", "--ip=127.0.0.1",
                                 f"--port={port}", "--IdentityProvider.token="],
                                cwd=clone, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 600
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/assignment1",
                                            timeout=5) as r:
                    listing = r.read().decode()
                break
            except OSError:
                assert time.time() < deadline, "JupyterLab did not start"
                time.sleep(1)
        assert "part2_backward.ipynb" in listing and "part1_forward.ipynb" in listing
        # work/ is the root: the solutions and the instructor's files are not in view.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents", timeout=10) as r:
            root = {item["name"] for item in json.load(r)["content"]}
        assert {"start_here.ipynb", "assignment1", "images"} <= root
        assert not root & {"solutions", "instructor", "notebooks", "tests"}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=10) as r:
            assert r.status == 200
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    text = log.read_text()
    assert "nbgrader will not work" not in text
    assert "[2/3] Installing" in text  # progress shown, a line per stage
    assert not (clone / "work" / "assignment3" / "fast_layers.py").exists()  # only on request
    assert mine.read_text() == "my answers"
    assert (clone / "notebooks" / "assignment1" / "part2_backward.ipynb").read_bytes() == \
        (clone / "work" / "assignment1" / "part2_backward.ipynb").read_bytes()
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True)
    assert status.stdout == "", "start.py left files git does not ignore"

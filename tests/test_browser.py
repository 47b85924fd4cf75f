"""The notebooks in a real JupyterLab, driven in headless Chromium as a learner would use them.

Needs Chromium: on Debian or Ubuntu `sudo apt-get install chromium`; elsewhere set
CHROMIUM to the path of a Chromium or Chrome executable. (`.ci/run` installs it.)
Screenshots are saved in build/screenshots/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow

SHOTS = ROOT / "build" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None and os.environ.get("CNNBOOK_REQUIRE_BROWSER"):
        pytest.fail("CNNBOOK_REQUIRE_BROWSER is set but no Chromium was found")
    if path is None:
        pytest.skip("no Chromium found: install it (Debian/Ubuntu: `sudo apt-get install chromium`) "
                    "or set CHROMIUM to a Chromium or Chrome executable")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, jupyter_home):
    """A JupyterLab server on 127.0.0.1 over a copy of the workbook's notebooks and images."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copytree(ROOT / "solutions", root / "solutions")
    shutil.copytree(ROOT / "images", root / "images")
    settings = jupyter_home / "jupyterlab_settings_dir" / "@jupyterlab"
    for extension, name, values in [
            ("apputils-extension", "notification", {"fetchNews": "false", "checkForUpdates": False}),
            # Render every cell, so that the whole notebook's text can be read.
            ("notebook-extension", "tracker", {"windowingMode": "none"})]:
        (settings / extension).mkdir(parents=True, exist_ok=True)
        (settings / extension / f"{name}.jupyterlab-settings").write_text(json.dumps(values))
    port = free_port()
    log = open(root / "lab.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
                             "--ip=127.0.0.1", f"--port={port}", "--IdentityProvider.token=",
                             f"--ServerApp.root_dir={root}"],
                            stdout=log, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        assert proc.poll() is None, (root / "lab.log").read_text()
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=5).close()
            break
        except OSError:
            assert time.time() < deadline, "JupyterLab did not start"
            time.sleep(0.5)
    yield url, root
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def run_all(browser, url: str, path: str, shot: str, wait_for: str):
    """Open a notebook, run all cells, wait until ``wait_for`` shows; return the page's text."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{url}/lab/tree/{path}?reset")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.wait_for_function(
            """() => {
                const k = document.querySelector('.jp-NotebookPanel-toolbar .jp-KernelName');
                const busy = document.querySelector('.jp-Notebook-ExecutionIndicator[data-status="busy"]');
                return k && k.textContent.trim() && !/No Kernel/.test(k.textContent) && !busy;
            }""", timeout=60_000)
        dialog = page.query_selector(".jp-Dialog .jp-mod-accept")
        if dialog:
            dialog.click()
        page.click(".lm-MenuBar-itemLabel:text-is('Run')", timeout=10_000)
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')", timeout=10_000)
        try:
            page.wait_for_function(
                "t => document.querySelector('.jp-Notebook').innerText.includes(t)", arg=wait_for,
                timeout=120_000)
        except Exception:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"failed-{shot}"), full_page=True)
            raise
        page.wait_for_timeout(1000)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / shot), full_page=True)
        # The outputs of every cell, scrolled into view so that the notebook renders them.
        texts = []
        for cell in page.query_selector_all(".jp-Notebook .jp-Cell"):
            cell.scroll_into_view_if_needed()
            texts.append(cell.inner_text())
        images = page.query_selector_all(".jp-RenderedMarkdown img")
        loaded = [img for img in images if img.evaluate("i => i.complete && i.naturalWidth > 0")]
        if images:
            images[0].scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / shot.replace(".png", "-figure.png")))
        errors = page.query_selector_all(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        return "\n".join(texts), len(loaded), len(errors)
    finally:
        page.close()


def test_student_notebook_fails_politely_in_jupyterlab(browser, lab):
    url, _ = lab
    text, images, errors = run_all(browser, url, "notebooks/assignment1/part1_forward.ipynb",
                                   "student_part1.png", "pool_forward is not implemented yet")
    for name in ["zero_pad", "conv_single_step", "conv_forward", "pool_forward"]:
        assert f"{name} is not implemented yet" in text
    assert errors == 4 and "Traceback" not in text
    assert images == 4, "the figures did not load"


def test_solution_notebook_passes_in_jupyterlab(browser, lab):
    url, _ = lab
    text, images, errors = run_all(browser, url, "solutions/assignment1/part2_backward.ipynb",
                                   "solution_part2.png", "pool_backward passes the hidden tests")
    for name in ["conv_backward", "create_mask_from_window", "distribute_value", "pool_backward"]:
        assert f"{name} passes all public tests" in text
    assert errors == 0 and images == 3

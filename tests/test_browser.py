"""The notebooks in a real JupyterLab, and the explorers also under Voila, driven in headless
Chromium as a learner would use them.

Needs Chromium: on Debian or Ubuntu `sudo apt-get install chromium`; elsewhere set
CHROMIUM to the path of a Chromium or Chrome executable. (`.ci/run` installs it.)
Screenshots are saved in build/screenshots/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import ROOT
from services import free_port

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


@contextmanager
def serve(command: list[str], root: Path, probe: str, name: str, env: dict | None = None):
    """Run a server (JupyterLab or Voila) on a free port of 127.0.0.1 in ``root``; yield its URL
    once ``probe`` answers. ``{port}`` in the command is the port; the log is ``root/<name>.log``."""
    port = free_port()
    log_path = root / f"{name}.log"
    log = open(log_path, "w")
    # A session of its own, so that the kernels it started can be stopped with it.
    proc = subprocess.Popen([arg.replace("{port}", str(port)) for arg in command], stdout=log,
                            stderr=subprocess.STDOUT, cwd=root, start_new_session=True, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                urllib.request.urlopen(f"{url}{probe}", timeout=5).close()
                break
            except urllib.error.HTTPError:
                break  # it answers: up
            except OSError:
                assert time.time() < deadline, f"{name} did not start:\n{log_path.read_text()}"
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # kernels the server left behind
        except ProcessLookupError:
            pass
        log.close()


def lab_root(root: Path, home: Path) -> list[str]:
    """Copy the workbook's notebooks and images into ``root``, quieten JupyterLab's settings in
    the isolated ``home``; return the command that serves ``root``."""
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copytree(ROOT / "solutions", root / "solutions")
    # The notebooks show ../images/, where start.py puts the figures in work/.
    for folder in ("notebooks", "solutions"):
        shutil.copytree(ROOT / "images", root / folder / "images")
    quiet_settings(home)
    # No token and no XSRF check: a throwaway server on 127.0.0.1 that the tests also call.
    return [sys.executable, "-m", "jupyter", "lab", *SERVER_OPTIONS, f"--ServerApp.root_dir={root}"]


SERVER_OPTIONS = ["--no-browser", "--allow-root", "--ip=127.0.0.1", "--port={port}",
                  "--IdentityProvider.token=", "--ServerApp.disable_check_xsrf=True"]


def quiet_settings(home: Path) -> None:
    """No news pop-up, and every cell rendered, in the JupyterLab settings of ``home``."""
    settings = home / "jupyterlab_settings_dir" / "@jupyterlab"
    for extension, name, values in [
            ("apputils-extension", "notification", {"fetchNews": "false", "checkForUpdates": False}),
            # Render every cell, so that the whole notebook's text can be read.
            ("notebook-extension", "tracker", {"windowingMode": "none"})]:
        (settings / extension).mkdir(parents=True, exist_ok=True)
        (settings / extension / f"{name}.jupyterlab-settings").write_text(json.dumps(values))


@pytest.fixture(scope="module")
def lab(tmp_path_factory, jupyter_home):
    """A JupyterLab server on 127.0.0.1 over a copy of the workbook's notebooks and images."""
    root = tmp_path_factory.mktemp("lab")
    with serve(lab_root(root, jupyter_home), root, "/api/status", "lab") as url:
        yield url, root


def stop_kernels(url: str) -> None:
    """Kernels outlive their page: shut down every session of the server."""
    with urllib.request.urlopen(f"{url}/api/sessions", timeout=10) as r:
        sessions = json.load(r)
    for session in sessions:
        request = urllib.request.Request(f"{url}/api/sessions/{session['id']}", method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


def open_and_run(page, url: str, path: str, shot: str, wait_for: str) -> None:
    """Open a notebook in JupyterLab, run all cells and wait until ``wait_for`` shows."""
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
    for attempt in range(2):
        page.click(".lm-MenuBar-itemLabel:text-is('Run')", timeout=10_000)
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')", timeout=10_000)
        try:  # a prompt turns to [*] or [1]; on a busy machine the first click can be lost
            page.wait_for_function(
                """() => [...document.querySelectorAll('.jp-InputArea-prompt')]
                          .some(p => /\\[[\\d*]/.test(p.textContent))""", timeout=20_000)
            break
        except Exception:
            if attempt:
                raise
    try:
        page.wait_for_function(
            "t => document.querySelector('.jp-Notebook').innerText.includes(t)", arg=wait_for,
            timeout=120_000)
    except Exception:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"failed-{shot}"), full_page=True)
        raise


def wait_until_run(page, expect=()) -> None:
    """Wait for conditions, never for the clock: the kernel idle, no cell waiting to run, and
    every ``expect`` text rendered in the notebook (each cell scrolled into view, since
    JupyterLab may render a cell's output only once it is in view)."""
    page.wait_for_function(
        """() => !document.querySelector('.jp-Notebook-ExecutionIndicator[data-status="busy"]')
                 && ![...document.querySelectorAll('.jp-InputArea-prompt')]
                       .some(p => p.textContent.includes('*'))""", timeout=120_000)
    for text in expect:
        for cell in page.query_selector_all(".jp-Notebook .jp-Cell"):
            if text in (page.inner_text(".jp-Notebook") or ""):
                break
            cell.scroll_into_view_if_needed()
        page.wait_for_function("t => document.querySelector('.jp-Notebook').innerText.includes(t)",
                               arg=text, timeout=60_000)


def run_all(browser, url: str, path: str, shot: str, wait_for: str, expect=()):
    """Open a notebook, run all cells, wait until ``wait_for`` and every ``expect`` text show;
    return the page's text, the number of figures loaded and of error outputs."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        open_and_run(page, url, path, shot, wait_for)
        wait_until_run(page, expect)
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
    # The last output is the pooling explorer's, after the last graded check.
    text, images, errors = run_all(browser, url, "notebooks/assignment1/part1_forward.ipynb",
                                   "student_part1.png",
                                   "pool_forward is not implemented yet: the expected result",
                                   expect=["Your score in assignment1/part1_forward.ipynb, from the "
                                           "public tests: 0 / 40"])
    for name in ["zero_pad", "conv_single_step", "conv_forward", "pool_forward"]:
        assert f"{name} is not implemented yet" in text
    for name in ["zero_pad", "conv_forward", "pool_forward"]:  # the explorers say so too
        assert f"{name} is not implemented yet: the expected result is shown alone." in text
    assert errors == 4 and "Traceback" not in text
    assert images == 5, "the figures did not load"


def test_solution_notebook_passes_in_jupyterlab(browser, lab):
    url, _ = lab
    text, images, errors = run_all(browser, url, "solutions/assignment1/part2_backward.ipynb",
                                   "solution_part2.png",
                                   "your pool_backward gives the expected gradient dA_prev",
                                   expect=[f"{name} passes all public tests" for name in
                                           ["conv_backward", "create_mask_from_window",
                                            "distribute_value", "pool_backward"]]
                                   + ["from the public tests: 45 / 45"])
    for name in ["conv_backward", "create_mask_from_window", "distribute_value", "pool_backward"]:
        assert f"{name} passes all public tests" in text
    assert "your conv_backward gives the expected dA_prev" in text
    assert errors == 0 and images == 3


def test_assignment2_solution_in_jupyterlab(browser, lab):
    url, _ = lab
    text, _, errors = run_all(browser, url, "solutions/assignment2/fast_layers.ipynb",
                              "solution_assignment2.png", "times faster on this batch",
                              expect=[f"{name} passes all public tests" for name in
                                      ["im2col", "col2im", "Convolution", "MaxPool", "AvgPool"]]
                              + ["from the public tests: 100 / 100"])
    for name in ["im2col", "col2im", "Convolution", "MaxPool", "AvgPool"]:
        assert f"{name} passes all public tests" in text
    # The gradient checks: dx, dW, db of Convolution and dx of each pooling layer.
    assert len(re.findall(r"relative error \S+  ok", text)) == 5 and "FAILS" not in text
    assert "loops:" in text and "im2col:" in text
    assert errors == 0 and "Traceback" not in text


# The explorers -------------------------------------------------------------------------

EXPLORER_NOTEBOOK = "notebooks/assignment1/explorers.ipynb"
# Per explorer: the slider moved one step right, what its view says before and after.
MOVES = [("padding", "pad", "zero_pad(X, 1).shape", "zero_pad(X, 2).shape"),
         ("convolution", "output col", "Z[0, 0] =", "Z[0, 1] ="),
         ("pooling", "output col", "Window (0, 0)", "Window (0, 1)"),
         ("gradients", "input row", "dA_prev[1, 1] =", "dA_prev[2, 1] =")]


def move_each_explorer(page, prefix: str) -> None:
    """Move one slider of each explorer with the keyboard; check that its view is redrawn with
    the new setting; save a screenshot of each explorer."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for kind, label, before_text, after_text in MOVES:
        explorer = page.locator(f".cnnbook-{kind}")
        view = explorer.locator(".cnnbook-view")
        explorer.scroll_into_view_if_needed()
        assert before_text in view.inner_text() and after_text not in view.inner_text(), kind
        before = view.inner_html()
        slider = explorer.locator(".widget-slider", has_text=label)
        readout = int(slider.locator(".widget-readout").inner_text())
        slider.locator(".noUi-handle").focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("([el, old]) => el.innerHTML !== old",
                               arg=[view.element_handle(), before], timeout=15_000)
        page.wait_for_function("([el, want]) => el.innerText.trim() === want",
                               arg=[slider.locator(".widget-readout").element_handle(), str(readout + 1)],
                               timeout=15_000)
        text = view.inner_text()
        assert after_text in text and before_text not in text, (kind, text[:500])
        assert "explorer failed" not in text and "Traceback" not in text
        assert view.locator("svg").count() >= 1
        path = SHOTS / f"{prefix}-explorer-{kind}.png"
        explorer.screenshot(path=str(path))
        assert path.stat().st_size > 10_000


def run_explorers(browser, url: str, prefix: str) -> None:
    """Run the explorers notebook, check that all four show, move one control of each."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        open_and_run(page, url, EXPLORER_NOTEBOOK, f"{prefix}-explorers.png", "dA_prev[1, 1] =")
        assert page.locator(".cnnbook-explorer").count() == 4
        move_each_explorer(page, prefix)
        assert not page.query_selector_all(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    finally:
        page.close()
        stop_kernels(url)


def test_explorers_in_jupyterlab(browser, lab):
    run_explorers(browser, lab[0], "lab")


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    """Voila serving the explorer notebook alone, as a page without code."""
    root = tmp_path_factory.mktemp("voila")
    shutil.copytree(ROOT / "notebooks" / "assignment1", root / "assignment1")
    command = [sys.executable, "-m", "voila", "--no-browser", "--Voila.ip=127.0.0.1", "--port={port}",
               "assignment1/explorers.ipynb"]
    with serve(command, root, "/voila/static/", "voila") as url:
        yield url


def test_explorers_standalone_in_voila(browser, voila):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(voila, timeout=120_000)
        page.wait_for_selector(".cnnbook-gradients .cnnbook-view svg", timeout=120_000)
        assert page.locator(".cnnbook-explorer").count() == 4
        text = page.inner_text("body")
        assert "Pooling masks" in text and "explore_padding()" not in text  # no code, only views
        move_each_explorer(page, "voila")
        page.screenshot(path=str(SHOTS / "voila-explorers.png"), full_page=True)
    finally:
        page.close()


# The learner's JupyterLab, as `python start.py` starts it ------------------------------

@pytest.fixture(scope="module")
def learner_lab(tmp_path_factory, jupyter_home):
    """JupyterLab as start.py starts it for a learner, over a fresh work/ folder."""
    import start

    base = tmp_path_factory.mktemp("workbook")
    saved = start.WORK
    start.WORK = base / "work"
    try:
        start.copy_notebooks()
        start.copy_images()
        start.write_start_page()
        cmd, env = start.learner_lab(SERVER_OPTIONS, base=base / "learner-config")
    finally:
        start.WORK = saved
    # A learner's own (empty) JupyterLab settings: what the learner sees comes from start.py.
    env["JUPYTERLAB_SETTINGS_DIR"] = str(base / "learner-settings")
    with serve(cmd, base / "work", "/api/status", "learner-lab", env=env) as url:
        yield url, base / "work"


def menu_labels(page) -> list[str]:
    page.wait_for_selector(".lm-MenuBar-itemLabel:text-is('Run')", timeout=60_000)
    return [label.inner_text() for label in page.query_selector_all(".lm-MenuBar-itemLabel")]


def test_learner_jupyterlab_shows_work_only_and_no_instructor_tools(browser, learner_lab):
    url, work = learner_lab
    with urllib.request.urlopen(f"{url}/api/contents", timeout=10) as r:
        root = {item["name"] for item in json.load(r)["content"]}
    assert {"start_here.ipynb", "assignment1", "assignment2", "assignment3", "images"} <= root
    assert not root & {"solutions", "instructor", "notebooks", "tests", "start.py"}
    # No news pop-up, line numbers on: defaults that start.py's server sets (JupyterLab's own
    # defaults are "none", which asks, and no line numbers); the learner may still change them.
    for plugin, name, key, value in [("apputils-extension:notification", "fetchNews", None, "false"),
                                     ("notebook-extension:tracker", "codeCellConfig", "lineNumbers", True)]:
        with urllib.request.urlopen(f"{url}/lab/api/settings/@jupyterlab/{plugin}", timeout=10) as r:
            default = json.load(r)["schema"]["properties"][name]["default"]
        assert (default if key is None else default[key]) == value, (plugin, default)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{url}/")  # the server's default URL: the start page
        try:
            page.wait_for_selector(".jp-RenderedMarkdown h1:has-text('Start here')", timeout=90_000)
        except Exception:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "failed-learner-start-page.png"))
            raise
        assert page.url.endswith("/lab/tree/start_here.ipynb"), page.url
        labels = menu_labels(page)
        assert "Nbgrader" not in labels, labels
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "learner-start-page.png"))
        # The server side of Formgrader is off too.
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{url}/formgrader", timeout=10).close()
        # A link of the start page opens its notebook, whose figures load.
        page.click(".jp-RenderedMarkdown a:text-is('Convolution step by step: Part 1: the forward pass')")
        page.wait_for_selector(".lm-TabBar-tabLabel:text-is('part1_forward.ipynb')", timeout=60_000)
        notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
        notebook.locator(".jp-RenderedMarkdown img").first.wait_for(timeout=60_000)
        page.wait_for_function(
            """() => {
                const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
                const imgs = [...panel.querySelectorAll('.jp-RenderedMarkdown img')];
                return imgs.length === 5 && imgs.every(i => i.complete && i.naturalWidth > 0);
            }""", timeout=60_000)
        # Line numbers are on, so that "line N" in a message can be found.
        assert notebook.locator(".jp-CodeCell .cm-lineNumbers").count() > 0
        notebook.locator(".jp-RenderedMarkdown img").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "learner-part1-figure.png"))
        # The last part of the notebook links to the next one.
        link = notebook.locator(".jp-RenderedMarkdown a:text-is('part 2, the backward pass')")
        assert "/assignment1/part2_backward.ipynb" in link.get_attribute("href")
        link.scroll_into_view_if_needed()
        link.click()
        page.wait_for_selector(".lm-TabBar-tabLabel:text-is('part2_backward.ipynb')", timeout=60_000)
    finally:
        page.close()
        stop_kernels(url)


def test_plain_jupyterlab_keeps_formgrader(browser, lab):
    """The instructor's `jupyter lab` in the same environment still has nbgrader's tools (and
    JupyterLab's own defaults, which the learner's server changes)."""
    url, _ = lab
    with urllib.request.urlopen(f"{url}/lab/api/settings/@jupyterlab/apputils-extension:notification",
                                timeout=10) as r:
        assert json.load(r)["schema"]["properties"]["fetchNews"]["default"] == "none"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{url}/lab?reset")
        assert "Nbgrader" in menu_labels(page)
        page.click(".lm-MenuBar-itemLabel:text-is('Nbgrader')")
        page.wait_for_selector(".lm-Menu-itemLabel:text-is('Formgrader')", timeout=10_000)
    finally:
        page.close()


# A student bundle of Assignment 1 only, unpacked ------------------------------------------

@pytest.fixture(scope="module")
def bundle_lab(tmp_path_factory, jupyter_home):
    """JupyterLab over an unpacked bundle of Assignment 1. Its kernels run in an environment
    of their own that sees the bundle's cnnbook and public_tests and this environment's
    third-party packages, but not the repository's own packages (no instructor, no editable
    install of the workbook), as a student's install of the bundle would."""
    import sysconfig
    import venv
    import zipfile

    from instructor import release

    base = tmp_path_factory.mktemp("bundle")
    zipfile.ZipFile(release.build_bundle(base / "b.zip", ["assignment1"])).extractall(base)
    root = base / release.BUNDLE_NAME
    kernel_env = base / "kernel-env"
    venv.EnvBuilder(with_pip=False).create(kernel_env)
    python = kernel_env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # A .pth line puts a folder on sys.path without running the .pth files in it (the
    # editable install's finder is one), so the bundle's own packages come first.
    (Path(site) / "bundle.pth").write_text(f"{root}\n{sysconfig.get_paths()['purelib']}\n")
    probe = subprocess.run([str(python), "-c", (
        "import cnnbook, public_tests, importlib.util\n"
        "from cnnbook import checker\n"
        "print(cnnbook.__file__, public_tests.__file__, importlib.util.find_spec('instructor'),"
        " checker.available_suites('zero_pad'), checker.available_suites('im2col'))")],
        capture_output=True, text=True, check=True, cwd=base).stdout.split()
    assert probe[0].startswith(str(root)) and probe[1].startswith(str(root)), probe
    assert probe[2:] == ["None", "['public']", "[]"], probe
    kernels = base / "jupyter-path" / "kernels" / "python3"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)", "language": "python"}))
    env = dict(os.environ, JUPYTER_PATH=str(base / "jupyter-path"))
    quiet_settings(jupyter_home)
    command = [sys.executable, "-m", "jupyter", "lab", *SERVER_OPTIONS, f"--ServerApp.root_dir={root}"]
    with serve(command, root, "/api/status", "bundle-lab", env=env) as url:
        with urllib.request.urlopen(f"{url}/api/kernelspecs", timeout=10) as r:
            assert json.load(r)["kernelspecs"]["python3"]["spec"]["argv"][0] == str(python)
        yield url, root


def test_explorers_work_in_a_bundle_of_assignment1(browser, bundle_lab):
    run_explorers(browser, bundle_lab[0], "bundle")


# The explorers of Assignments 2 and 3: every control moved ------------------------------------

# Per assignment: its explorers notebook, the explorers it shows and a text each view shows.
NEW_EXPLORERS = {"assignment2": [("im2col", "Row 0 of col"), ("arithmetic", "n_out = ⌊")],
                 "assignment3": [("network", "reads it as")]}


def move_every_control(page, kind: str, prefix: str) -> int:
    """Move every control of one explorer, one at a time, and back: each slider one step with
    the keyboard (left where it is at its end), each toggle to another button; after each
    change, wait until the view is redrawn and check it has no error. Returns the number of
    controls moved; saves a screenshot after each control."""
    explorer = page.locator(f".cnnbook-{kind}")
    view = explorer.locator(".cnnbook-view")
    explorer.scroll_into_view_if_needed()

    def changed(action) -> None:
        before = view.inner_html()
        action()
        page.wait_for_function("([el, old]) => el.innerHTML !== old",
                               arg=[view.element_handle(), before], timeout=20_000)
        text = view.inner_text()
        assert "explorer failed" not in text and "Traceback" not in text, (kind, text[:400])
        assert view.locator("svg").count() >= 1, kind

    moved = 0
    sliders = explorer.locator(".widget-slider")
    for k in range(sliders.count()):
        handle = sliders.nth(k).locator(".noUi-handle")
        if handle.get_attribute("disabled") is not None or "disabled" in (
                sliders.nth(k).locator(".noUi-target").get_attribute("disabled") or ""):
            continue
        now, top = (float(handle.get_attribute(a)) for a in ("aria-valuenow", "aria-valuemax"))
        key, back = ("ArrowLeft", "ArrowRight") if now >= top else ("ArrowRight", "ArrowLeft")
        label = sliders.nth(k).locator(".widget-label").inner_text()
        for press in (key, back):
            handle.focus()
            changed(lambda: page.keyboard.press(press))
        moved += 1
        explorer.screenshot(path=str(SHOTS / f"{prefix}-{kind}-{re.sub(r'[^a-z]+', '-', label.lower())}.png"))
    toggles = explorer.locator(".widget-toggle-buttons")
    for k in range(toggles.count()):
        buttons = toggles.nth(k).locator("button")
        chosen = [i for i in range(buttons.count()) if "mod-active" in (buttons.nth(i).get_attribute("class") or "")]
        for i in [j for j in range(buttons.count()) if j not in chosen] + chosen:
            changed(lambda: buttons.nth(i).click())
            explorer.screenshot(path=str(SHOTS / f"{prefix}-{kind}-toggle-{k}-{i}.png"))
        moved += 1
    return moved


def run_new_explorers(page, prefix: str, assignment: str) -> None:
    """Every new explorer of ``assignment`` on the open page: shown, every control moved."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for kind, text in NEW_EXPLORERS[assignment]:
        explorer = page.locator(f".cnnbook-{kind}")
        explorer.locator(".cnnbook-view svg").first.wait_for(timeout=120_000)
        assert text in explorer.locator(".cnnbook-view").inner_text(), kind
        controls = explorer.locator(".widget-slider").count() + explorer.locator(
            ".widget-toggle-buttons").count()
        assert move_every_control(page, kind, prefix) == controls, kind
        explorer.screenshot(path=str(SHOTS / f"{prefix}-explorer-{kind}.png"))


@pytest.mark.parametrize("assignment", sorted(NEW_EXPLORERS))
def test_new_explorers_in_jupyterlab(browser, lab, assignment):
    url = lab[0]
    # Tall enough for a whole explorer in view: its screenshots show all of it.
    page = browser.new_page(viewport={"width": 1280, "height": 2000})
    try:
        kind, text = NEW_EXPLORERS[assignment][-1]
        open_and_run(page, url, f"notebooks/{assignment}/explorers.ipynb",
                     f"lab-{assignment}-explorers.png", text)
        assert page.locator(".cnnbook-explorer").count() == len(NEW_EXPLORERS[assignment])
        run_new_explorers(page, f"lab-{assignment}", assignment)
        assert not page.query_selector_all(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    finally:
        page.close()
        stop_kernels(url)


@pytest.fixture(scope="module")
def voila_tree(tmp_path_factory):
    """Voila serving the explorer notebooks of Assignments 2 and 3, as pages without code."""
    root = tmp_path_factory.mktemp("voila-tree")
    for assignment in NEW_EXPLORERS:
        (root / assignment).mkdir()
        shutil.copy(ROOT / "notebooks" / assignment / "explorers.ipynb", root / assignment)
    command = [sys.executable, "-m", "voila", "--no-browser", "--Voila.ip=127.0.0.1", "--port={port}",
               str(root)]
    with serve(command, root, "/voila/static/", "voila-tree") as url:
        yield url


@pytest.mark.parametrize("assignment", sorted(NEW_EXPLORERS))
def test_new_explorers_in_voila(browser, voila_tree, assignment):
    page = browser.new_page(viewport={"width": 1280, "height": 2000})
    try:
        page.goto(f"{voila_tree}/voila/render/{assignment}/explorers.ipynb", timeout=120_000)
        kind, _ = NEW_EXPLORERS[assignment][-1]
        page.wait_for_selector(f".cnnbook-{kind} .cnnbook-view svg", timeout=120_000)
        assert page.locator(".cnnbook-explorer").count() == len(NEW_EXPLORERS[assignment])
        # No code, only views.
        assert "from cnnbook.explorers import" not in page.inner_text("body")
        run_new_explorers(page, f"voila-{assignment}", assignment)
        page.screenshot(path=str(SHOTS / f"voila-{assignment}-explorers.png"), full_page=True)
    finally:
        page.close()

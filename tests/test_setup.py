"""The setup around the notebooks: README commands, CI, conda file, bundle, work folder."""

import os
import re
import subprocess
import tomllib
import zipfile

import pytest

import start
from conftest import ROOT
from instructor import release, solutions

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_gives_the_two_commands():
    assert "\n    python start.py\n" in README
    assert "\n    python start.py test\n" in README


def test_ci_runs_the_readme_test_command():
    lines = [l.strip() for l in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert "python3 start.py test" in lines


def _conda_deps():
    deps, in_deps, in_pip = {}, False, False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        line = line.split("#")[0].rstrip()
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        if not in_deps:
            continue
        if re.match(r"^\s+- pip:$", line):
            in_pip = True
            continue
        m = re.match(r"^\s+- ([A-Za-z0-9_.-]+)\s*(.*)$", line)
        if m and not in_pip:
            deps[m.group(1).lower()] = m.group(2).replace(" ", "")
    return deps


def _pip_deps():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    out = {}
    for dep in project["dependencies"]:
        m = re.match(r"^([A-Za-z0-9_.-]+)(.*)$", dep)
        out[m.group(1).lower()] = m.group(2).replace(" ", "")
    return out, project["requires-python"]


def test_environment_yml_matches_pyproject():
    conda = _conda_deps()
    pip, python = _pip_deps()
    assert conda.pop("python") == python
    conda.pop("pip")
    assert conda == pip
    assert "conda-forge" in (ROOT / "environment.yml").read_text()


def test_bundle_has_what_students_need_and_nothing_of_the_instructor(tmp_path):
    path = release.build_bundle(tmp_path / "b.zip")
    names = zipfile.ZipFile(path).namelist()
    prefix = release.BUNDLE_NAME + "/"
    assert all(n.startswith(prefix) for n in names)
    rel = {n[len(prefix):] for n in names}
    for needed in ["README.md", "start.py", "public_tests.py", "pyproject.toml", "environment.yml",
                   "LICENSE", "cnnbook/checker.py", "cnnbook/expected/assignment1.npz",
                   "notebooks/assignment1/part1_forward.ipynb",
                   "notebooks/assignment1/part2_backward.ipynb", "notebooks/assignment2/fast_layers.ipynb",
                   "notebooks/assignment3/train_cnn.ipynb", "notebooks/assignment3/fast_layers.py",
                   "data/digits.h5"]:
        assert needed in rel, needed
    assert not [n for n in rel if n.startswith(("solutions/", "instructor/", "tests/"))]
    text = "\n".join(zipfile.ZipFile(path).read(n).decode("utf-8", "replace") for n in names
                     if n.endswith((".py", ".ipynb", ".toml", ".md", ".yml")))
    for secret in ["BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "import instructor", "from instructor",
                   "mhwcpq,pqcd->mhwd", 'suite=\\"hidden\\"']:  # as a notebook's JSON holds it
        assert secret not in text, secret
    project = tomllib.loads(zipfile.ZipFile(path).read(prefix + "pyproject.toml").decode())
    assert project["project"]["dependencies"] == _pip_deps_raw()
    assert "entry-points" not in project["project"] and "instructor" not in str(project)


def _joined_lines(text: str) -> str:
    """Code with its lines stripped and joined by one space (JSON-escaped or not)."""
    text = text.replace("\\n", "\n").replace('\\"', '"')
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def _pip_deps_raw():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def ignored_by_git(path: str) -> bool:
    result = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
    assert result.returncode in (0, 1), "git check-ignore failed: is this a git checkout?"
    return result.returncode == 0


def test_work_folder_is_ignored_by_git():
    assert ignored_by_git("work/assignment1/part1_forward.ipynb")


def test_course_folders_are_ignored_at_the_root_only():
    for folder in ("submitted", "autograded", "feedback", "release", "bundle", "grading"):
        assert ignored_by_git(f"{folder}/x.ipynb"), folder
        assert not ignored_by_git(f"instructor/{folder}/x.py"), folder


def test_copy_notebooks_never_overwrites(tmp_path, monkeypatch):
    src = tmp_path / "notebooks" / "a1"
    src.mkdir(parents=True)
    (src / "one.ipynb").write_text("fresh one")
    (src / "two.ipynb").write_text("fresh two")
    work = tmp_path / "work"
    (work / "a1").mkdir(parents=True)
    (work / "a1" / "one.ipynb").write_text("my answers")
    monkeypatch.setattr(start, "NOTEBOOKS", tmp_path / "notebooks")
    monkeypatch.setattr(start, "WORK", work)
    copied = start.copy_notebooks()
    assert copied == [work / "a1" / "two.ipynb"]
    assert (work / "a1" / "one.ipynb").read_text() == "my answers"
    assert (work / "a1" / "two.ipynb").read_text() == "fresh two"
    assert start.copy_notebooks() == []


def test_start_help_and_unknown_command(capsys):
    start.main(["--help"])
    assert "python start.py test" in capsys.readouterr().out
    with pytest.raises(SystemExit) as err:
        start.main(["fly"])
    assert err.value.code == 1


def test_bundle_holds_only_the_assignments_asked_for(tmp_path):
    path = release.build_bundle(tmp_path / "a1.zip", ["assignment1"])
    names = zipfile.ZipFile(path).namelist()
    prefix = release.BUNDLE_NAME + "/notebooks/"
    folders = {n[len(prefix):].split("/")[0] for n in names if n.startswith(prefix)}
    assert folders == {"assignment1"}
    # Assignment 3's given layers are Assignment 2's answers: never in a bundle without it.
    assert not [n for n in names if n.endswith("fast_layers.py")]
    # Only Assignment 1's public suite and expected arrays.
    rel = {n[len(release.BUNDLE_NAME) + 1:] for n in names}
    assert {n for n in rel if n.startswith(("cnnbook/suites/", "cnnbook/expected/"))} == {
        "cnnbook/suites/__init__.py", "cnnbook/suites/assignment1.py",
        "cnnbook/expected/__init__.py", "cnnbook/expected/assignment1.npz",
        "cnnbook/expected/explorers.npz"}
    # No answer of any assignment: the body of every solution, its lines joined, is nowhere
    # (one-line answers, such as create_mask_from_window's, are given by the hints on purpose).
    text = _joined_lines("\n".join(zipfile.ZipFile(path).read(n).decode("utf-8", "replace")
                                   for n in names if n.endswith((".py", ".ipynb", ".md"))))
    for assignment in release.GRADED_ASSIGNMENTS:
        for _, source in solutions.solution_cells(assignment):
            for body in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source, re.S):
                if len(body.strip().splitlines()) < 2:
                    continue
                assert _joined_lines(body) not in text, body[:200]
    with pytest.raises(ValueError, match="no such assignment: assignment9"):
        release.build_bundle(tmp_path / "x.zip", ["assignment9"])


def test_copy_notebooks_leaves_the_given_answers_out_until_asked(tmp_path, monkeypatch):
    work = tmp_path / "work"
    monkeypatch.setattr(start, "WORK", work)
    start.copy_notebooks()
    assert (work / "assignment3" / "train_cnn.ipynb").exists()
    assert not (work / "assignment3" / "fast_layers.py").exists()
    assert start.copy_given() == [work / "assignment3" / "fast_layers.py"]
    assert start.copy_given() == []


def test_start_page_lists_the_assignments_in_order_with_points_and_links(tmp_path, monkeypatch):
    import json

    from cnnbook import course

    monkeypatch.setattr(start, "WORK", tmp_path / "work")
    page = json.loads(start.write_start_page().read_text(encoding="utf-8"))
    text = page["cells"][0]["source"]
    links = re.findall(r"\]\(([^)]+\.ipynb)\)", text)
    assert links == [nb.path for nb in course.NOTEBOOKS] + [f"{a.name}/explorers.ipynb"
                                                             for a in course.ASSIGNMENTS]
    assert len(start.EXPLORERS) == len(course.ASSIGNMENTS)
    for link in links:
        assert (ROOT / "notebooks" / link).exists(), link
    assert f"**{sum(a.points for a in course.ASSIGNMENTS)}**" in text
    assert "python start.py score" in text and "python start.py validate" in text
    assert "cnnbook.score" in page["cells"][1]["source"]


def test_every_notebook_ends_with_links_and_its_score():
    import json

    from cnnbook import course

    for nb in course.NOTEBOOKS:
        cells = json.loads((ROOT / "notebooks" / nb.path).read_text(encoding="utf-8"))["cells"]
        assert f'notebook_score(globals(), "{nb.path.removesuffix(".ipynb")}")' in "".join(cells[-1]["source"])
        end = "".join(cells[-2]["source"])
        assert "(../start_here.ipynb)" in end
        following = course.next_notebook(nb)
        if following is not None:
            target = following.path if following.assignment != nb.assignment else following.name + ".ipynb"
            target = target if following.assignment == nb.assignment else "../" + target
            assert f"({target})" in end, nb.path


def test_the_learners_jupyterlab_is_configured_apart(tmp_path, monkeypatch):
    import json

    monkeypatch.setattr(start, "WORK", tmp_path / "work")
    cmd, env = start.learner_lab(["--no-browser"], base=tmp_path / "config")
    assert f"--ServerApp.root_dir={tmp_path / 'work'}" in cmd and cmd[-1] == "--no-browser"
    assert "--LabApp.default_url=/lab/tree/start_here.ipynb" in cmd
    settings = tmp_path / "config" / "lab-settings"
    assert f"--LabApp.app_settings_dir={settings}" in cmd
    disabled = json.loads((settings / "page_config.json").read_text())["disabledExtensions"]
    assert disabled["@jupyter/nbgrader:formgrader"] and disabled["@jupyter/nbgrader:create-assignment"]
    assert "@jupyter/nbgrader:validate-assignment" not in disabled
    overrides = json.loads((settings / "overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert overrides["@jupyterlab/notebook-extension:tracker"]["codeCellConfig"]["lineNumbers"] is True
    server = json.loads((tmp_path / "config" / "config" / "jupyter_server_config.json").read_text())
    assert server["ServerApp"]["jpserver_extensions"]["nbgrader.server_extensions.formgrader"] is False
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0] == str(tmp_path / "config" / "config")


def test_install_falls_back_to_pip_when_uv_fails(monkeypatch):
    calls = []

    def fake_run(*cmd, keep_going=False, **kw):
        calls.append([str(c) for c in cmd])
        if any(c.endswith(("uv", "uv.exe")) for c in calls[-1][:1]):
            raise start.InstallFailed("exit code 2")

    monkeypatch.setattr(start, "run", fake_run)
    monkeypatch.setenv("CNNBOOK_INSTALLER", "uv")
    start.install(".")
    assert calls[0][-1] == "uv"                        # uv installed into .venv first
    assert calls[1][1:3] == ["pip", "install"]          # then `uv pip install -e .`, which failed
    assert calls[2][1:4] == ["-m", "pip", "install"] and calls[2][-2:] == ["-e", "."]  # pip
    calls.clear()
    monkeypatch.setenv("CNNBOOK_INSTALLER", "pip")
    start.install(".")
    assert len(calls) == 1 and calls[0][-2:] == ["-e", "."]
    monkeypatch.setenv("CNNBOOK_INSTALLER", "auto")
    assert start.installer() == start.AUTO_INSTALLER == "uv"

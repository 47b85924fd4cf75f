"""The figures in images/: up to date with their drawing code, and the ones the notebooks show."""

import base64
import json
import re
import shutil
import xml.etree.ElementTree as ET

from cnnbook import figures
from conftest import ROOT
from instructor import release


def test_figures_are_up_to_date():
    assert figures.stale() == [], "run `python -m cnnbook.figures` and commit images/"


def test_figures_are_well_formed_svg():
    for name in figures.FIGURES:
        root = ET.parse(ROOT / "images" / name).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert float(root.get("width")) > 100 and float(root.get("height")) > 50


def test_notebooks_carry_every_figure_as_it_is_drawn():
    """Each figure travels inside its notebook as the cell's attachment (so it shows in work/,
    formgrader, feedback and bundles alike), equal to images/; no notebook links a file."""
    shown = set()
    for nb in list((ROOT / "solutions").rglob("*.ipynb")) + list((ROOT / "notebooks").rglob("*.ipynb")):
        text = nb.read_text(encoding="utf-8")
        assert not re.search(r"\]\((\.\./)+images/", text), nb
        for cell, names in release._figure_cells(json.loads(text)):
            shown.update(names)
            assert set(cell["attachments"]) == set(names), nb
    assert shown == set(figures.FIGURES)
    assert release.stale_attachments() == []


def test_a_stale_attachment_is_detected(tmp_path):
    shutil.copytree(ROOT / "solutions" / "assignment1", tmp_path / "solutions" / "assignment1")
    path = tmp_path / "solutions" / "assignment1" / "part1_forward.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell, names = next(release._figure_cells(nb))
    cell["attachments"][names[0]]["image/svg+xml"] = base64.b64encode(b"<svg/>").decode()
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert release.stale_attachments(tmp_path) == ["solutions/assignment1/part1_forward.ipynb"]
    assert release.embed_figures(tmp_path) == [path]
    assert release.stale_attachments(tmp_path) == []


def test_stale_figure_is_detected(tmp_path, monkeypatch):
    monkeypatch.setattr(figures, "IMAGES", tmp_path)
    assert set(figures.stale()) == set(figures.FIGURES)
    figures.main([])
    assert figures.stale() == []
    (tmp_path / "padding.svg").write_text("<svg/>")
    assert figures.stale() == ["padding.svg"]

"""The figures in images/: up to date with their drawing code, and the ones the notebooks show."""

import re
import xml.etree.ElementTree as ET

from cnnbook import figures
from conftest import ROOT


def test_figures_are_up_to_date():
    assert figures.stale() == [], "run `python -m cnnbook.figures` and commit images/"


def test_figures_are_well_formed_svg():
    for name in figures.FIGURES:
        root = ET.parse(ROOT / "images" / name).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert float(root.get("width")) > 100 and float(root.get("height")) > 50


def test_notebooks_show_every_figure_and_only_existing_ones():
    shown = set()
    for nb in list((ROOT / "solutions").rglob("*.ipynb")) + list((ROOT / "notebooks").rglob("*.ipynb")):
        text = nb.read_text(encoding="utf-8")
        assert "../../images/" not in text, nb
        # In work/ (JupyterLab's root for a learner) start.py puts images/ beside the assignments.
        for path in re.findall(r"\]\((\.\./images/[^)]+)\)", text):
            assert (ROOT / path.removeprefix("../")).is_file(), (nb.name, path)
            shown.add(path.rsplit("/", 1)[1])
    assert shown == set(figures.FIGURES)


def test_stale_figure_is_detected(tmp_path, monkeypatch):
    monkeypatch.setattr(figures, "IMAGES", tmp_path)
    assert set(figures.stale()) == set(figures.FIGURES)
    figures.main([])
    assert figures.stale() == []
    (tmp_path / "padding.svg").write_text("<svg/>")
    assert figures.stale() == ["padding.svg"]

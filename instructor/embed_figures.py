"""The figures inside the pages nbgrader makes: feedback and formgrader's view of a submission.

The notebooks show the figures of ``images/`` by a link relative to the notebook
(``../images/padding.svg``), which JupyterLab serves from the learner's work/ and from the
workbook. nbgrader's HTML pages live elsewhere (``feedback/<student>/<assignment>/``, and
formgrader's ``/formgrader/submissions/<id>/``), where such a link points at nothing. This
preprocessor, named in nbgrader_config.py for ``GenerateFeedback`` and for the HTML exporter
formgrader uses, turns each such link into an attachment of the cell, which nbconvert writes
into the page itself.
"""

from __future__ import annotations

import base64
import re

from nbconvert.preprocessors import Preprocessor

from instructor.paths import ROOT

IMAGES = ROOT / "images"
LINK = re.compile(r"\]\((?:\.\./)+images/(?P<name>[\w.-]+\.svg)\)")


def embed(cell) -> None:
    """Turn a markdown cell's links to images/ into attachments (those it has no file for stay)."""
    if cell.get("cell_type") != "markdown":
        return
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    found = {m["name"] for m in LINK.finditer(source) if (IMAGES / m["name"]).is_file()}
    if not found:
        return
    attachments = dict(cell.get("attachments") or {})
    for name in sorted(found):
        attachments[name] = {"image/svg+xml": base64.b64encode((IMAGES / name).read_bytes()).decode()}
    cell["attachments"] = attachments
    cell["source"] = LINK.sub(lambda m: f"](attachment:{m['name']})" if m["name"] in found else m[0], source)


class EmbedFigures(Preprocessor):
    def preprocess_cell(self, cell, resources, index):
        embed(cell)
        return cell, resources

"""Shared fixtures: the repository root, an isolated Jupyter home, notebook cell lookups."""

from __future__ import annotations

from pathlib import Path

import pytest

from instructor.execute import execute, isolated_home  # noqa: F401  (execute is used by tests)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def jupyter_home(tmp_path_factory):
    with isolated_home(tmp_path_factory.mktemp("home")) as home:
        yield home


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def is_graded(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade"))

"""Regenerate what the instructor hands out.

    cnnbook-release notebooks         regenerate notebooks/ from solutions/ (nbgrader)
    cnnbook-release expected          regenerate the public tests' expected arrays
    cnnbook-release figures           redraw the figures in images/
    cnnbook-release bundle [-o ZIP] [-a ASSIGNMENT ...]
                                      build the student bundle (no solutions, hidden tests or
                                      oracles), with the released assignments only
    cnnbook-release check             exit 1 if notebooks/, the expected arrays or images/ are stale

(`python -m instructor.release ...` does the same.)
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

from cnnbook import figures
from instructor import make_expected, solutions
from instructor.paths import ROOT

GRADED_ASSIGNMENTS = ["assignment1", "assignment2", "assignment3"]
# Each assignment's explorers are an ungraded notebook of that assignment (explorers.ipynb).
ASSIGNMENTS = GRADED_ASSIGNMENTS
# What only an assignment's explorers need: left out of a bundle without that assignment.
# (Assignment 1's explorer modules stay: cnnbook/figures.py draws the notebooks' figures with them.)
EXPLORER_FILES = {
    "assignment1": ["cnnbook/expected/explorers.npz"],
    "assignment2": ["cnnbook/explorers/unfolding.py", "cnnbook/explorers/arithmetic.py",
                    "cnnbook/expected/explorers_assignment2.npz"],
    "assignment3": ["cnnbook/explorers/network.py", "cnnbook/expected/explorers_assignment3.npz"],
}
# Code an assignment gives, generated from an earlier one's solutions so that it is written once:
# (assignment, file) -> (the assignment whose solutions hold it, the names to take).
GIVEN = {("assignment3", "fast_layers.py"): ("assignment2", ("im2col", "col2im", "Convolution", "MaxPool"))}
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### START CODE HERE", "### END CODE HERE")
BUNDLE_NAME = "cnn-workbook-student"

# What a student gets, relative to the repository root; directories are copied whole.
BUNDLE_FILES = ["public_tests.py", "cnnbook", "notebooks", "images", "data", "start.py", "LICENSE"]
# Never in the bundle, wherever they appear.
BUNDLE_EXCLUDE = {"__pycache__", ".ipynb_checkpoints"}


def nbgrader_config(root: Path):
    """The repository's nbgrader_config.py, pointed at the course folder ``root``."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    config.CourseDirectory.root = str(root)
    return config


def given_source(assignment: str, names) -> str:
    """The answer cells of ``assignment`` that define ``names``, without the solution markers."""
    parts = []
    for _, source in solutions.solution_cells(assignment):
        if any(f"def {n}(" in source or f"class {n}:" in source for n in names):
            lines = [line for line in source.strip().splitlines()
                     if not line.strip().startswith(SOLUTION_MARKERS)]
            parts.append("\n".join(lines))
    return (f'"""{", ".join(names)}: the solutions of {assignment}, given here.\n\n'
            f"Generated from solutions/{assignment} by `cnnbook-release notebooks`; do not edit.\n"
            '"""\n\nimport numpy as np\n\n\n' + "\n\n\n".join(parts) + "\n")


def write_given(root: Path = ROOT) -> None:
    for (assignment, name), (source, names) in GIVEN.items():
        (root / "solutions" / assignment / name).write_text(given_source(source, names),
                                                            encoding="utf-8", newline="\n")


def stale_given() -> list[str]:
    return [f"solutions/{a}/{name}" for (a, name), (source, names) in GIVEN.items()
            if not (ROOT / "solutions" / a / name).exists()
            or (ROOT / "solutions" / a / name).read_text(encoding="utf-8") != given_source(source, names)]


def generate(root: Path = ROOT, assignments=ASSIGNMENTS) -> None:
    """Run nbgrader generate_assignment in the course folder ``root``."""
    from nbgrader.apps import NbGraderAPI

    write_given(root)
    api = NbGraderAPI(config=nbgrader_config(root))
    for assignment in assignments:
        result = api.generate_assignment(assignment, force=True)
        if not result["success"] or not (root / "notebooks" / assignment).is_dir():
            raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n"
                               f"{result['error']}\n{result['log']}")


def generate_elsewhere(tmp: Path) -> Path:
    """Generate the student notebooks into a scratch course folder; return its notebooks/."""
    shutil.copytree(ROOT / "solutions", tmp / "solutions")
    generate(tmp)
    return tmp / "notebooks"


def stale_notebooks() -> list[str]:
    """Student files (notebooks and the files beside them) that differ from what solutions/
    generates now, and given code that differs from the solutions it is taken from."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate_elsewhere(Path(tmp))
        names = {p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file()}
        names |= {p.relative_to(ROOT / "notebooks").as_posix()
                  for p in (ROOT / "notebooks").rglob("*") if p.is_file()}
        names = {n for n in names if "__pycache__" not in n and ".ipynb_checkpoints" not in n}
        return sorted(n for n in names if not (fresh / n).exists()
                      or not (ROOT / "notebooks" / n).exists()
                      or not filecmp.cmp(fresh / n, ROOT / "notebooks" / n, shallow=False)) + stale_given()


def student_pyproject() -> str:
    """pyproject.toml of the bundle: the workbook's packages, without the instructor's."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = "".join(f'    "{d}",\n' for d in project["dependencies"])
    return f'''[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "{project["name"]}-student"
version = "{project["version"]}"
description = "{project["description"]} (student version)"
requires-python = "{project["requires-python"]}"
dependencies = [
{deps}]

[tool.setuptools]
py-modules = ["public_tests"]

[tool.setuptools.packages.find]
include = ["cnnbook*"]

[tool.setuptools.package-data]
"cnnbook.expected" = ["*.npz"]
'''


def build_bundle(dest: Path, assignments=None) -> Path:
    """Write the student bundle zip to ``dest`` and return its path.

    ``assignments`` -- the notebooks/ folders to include (default: all). Hand out only what
    is released: Assignment 3 gives Assignment 2's layers as code.
    """
    assignments = set(GRADED_ASSIGNMENTS if assignments is None else assignments)
    unknown = assignments - set(GRADED_ASSIGNMENTS)
    if unknown:
        raise ValueError(f"no such assignment: {', '.join(sorted(unknown))} "
                         f"(there are {', '.join(GRADED_ASSIGNMENTS)})")
    left_out = {ROOT / "notebooks" / a for a in GRADED_ASSIGNMENTS if a not in assignments}
    # The public suites and expected arrays of the assignments left out stay out too.
    left_out_files = {ROOT / "cnnbook" / sub / f"{a}{ext}" for a in GRADED_ASSIGNMENTS
                      if a not in assignments for sub, ext in (("suites", ".py"), ("expected", ".npz"))}
    left_out_files |= {ROOT / name for a in GRADED_ASSIGNMENTS if a not in assignments
                       for name in EXPLORER_FILES[a]}
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        def add(path: Path, arcname: str) -> None:
            zf.write(path, f"{BUNDLE_NAME}/{arcname}")

        for name in BUNDLE_FILES:
            path = ROOT / name
            if path.is_file():
                add(path, name)
            elif path.is_dir():
                for sub in sorted(path.rglob("*")):
                    if (sub.is_file() and not BUNDLE_EXCLUDE & set(sub.parts)
                            and not left_out & set(sub.parents) and sub not in left_out_files):
                        add(sub, sub.relative_to(ROOT).as_posix())
        zf.writestr(f"{BUNDLE_NAME}/pyproject.toml", student_pyproject())
        zf.writestr(f"{BUNDLE_NAME}/environment.yml",
                    (ROOT / "environment.yml").read_text(encoding="utf-8"))
        zf.writestr(f"{BUNDLE_NAME}/README.md",
                    (Path(__file__).parent / "student_readme.md").read_text(encoding="utf-8"))
    return dest


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="cnnbook-release", description=__doc__.splitlines()[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("notebooks", help="regenerate notebooks/ from solutions/")
    sub.add_parser("expected", help="regenerate the expected arrays of the public tests")
    sub.add_parser("figures", help="redraw the figures in images/")
    bundle = sub.add_parser("bundle", help="build the student bundle")
    bundle.add_argument("-o", "--output", type=Path, default=ROOT / "bundle" / f"{BUNDLE_NAME}.zip")
    bundle.add_argument("-a", "--assignment", action="append", choices=GRADED_ASSIGNMENTS,
                        help="include this assignment's notebooks (repeat; default: all)")
    sub.add_parser("check", help="exit 1 if notebooks/, the expected arrays or images/ are stale")
    args = parser.parse_args(argv)
    # nbgrader runs alembic from this environment's bin folder (with the environment not activated too).
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")

    if args.command == "notebooks":
        generate()
        print(f"regenerated {ROOT / 'notebooks'}")
    elif args.command == "expected":
        return make_expected.main([])
    elif args.command == "figures":
        return figures.main([])
    elif args.command == "bundle":
        stale = stale_notebooks()
        if stale:
            print(f"notebooks/ is stale ({', '.join(stale)}): run `cnnbook-release notebooks` first")
            return 1
        print(f"wrote {build_bundle(args.output, args.assignment)}")
    elif args.command == "check":
        status = make_expected.main(["--check"]) | figures.main(["--check"])
        stale = stale_notebooks()
        if stale:
            print(f"stale student notebooks: {', '.join(stale)}")
            status = 1
        if status == 0:
            print("notebooks/, the expected arrays and images/ are up to date")
        return status
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run notebooks from the top as the grader does (nbgrader's validator) and say what fails.

    python start.py validate [NOTEBOOK ...]      (default: every notebook in work/)

Unlike ``nbgrader validate``, each failing cell's message is printed whole (the hint at its
end included), and the exit code is 1 when any cell fails or a locked cell was changed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
RULE = "-" * 78


def _first_line(source: str) -> str:
    return next((line for line in source.splitlines() if line.strip()), "")


def validate(path: Path, out=None) -> bool:
    """Validate one notebook, print what fails (to ``out``, default sys.stdout as it is now); True
    when every cell passes."""
    out = out or sys.stdout
    from nbgrader.validator import Validator
    from traitlets.config import Config

    config = Config()
    config.Execute.timeout = 120
    config.IgnorePattern.enabled = True
    config.IgnorePattern.pattern = r"Warning:"
    validator = Validator(config=config)
    results = validator.validate(str(path))
    changed = results.get("type_changed", []) + results.get("changed", [])
    failed = results.get("failed", [])
    if changed:
        print(f"✗ {path}: {len(changed)} locked cell(s) were changed. The grader puts them back "
              "as they were; start from a fresh copy of the notebook (delete yours in work/ and "
              "run `python start.py`), then paste your answers into it:", file=out)
        for cell in changed:
            print(RULE, file=out)
            print(cell["source"], file=out)
        return False
    if not failed:
        print(f"✓ {path}: every cell runs and every graded check passes.", file=out)
        return True
    print(f"✗ {path}: {len(failed)} cell(s) fail:", file=out)
    for cell in failed:
        print(RULE, file=out)
        print(f"In the cell that begins: {_first_line(cell['source'])}", file=out)
        error = ANSI.sub("", cell["raw_error"]).strip()
        print("\n".join("    " + line for line in error.splitlines()), file=out)
    print(RULE, file=out)
    return False


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    paths = [Path(p) for p in argv]
    if not paths:
        print("usage: python -m cnnbook.validate NOTEBOOK ...", file=sys.stderr)
        return 2
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print(f"no such notebook: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    ok = True
    for path in paths:
        ok = validate(path) and ok
    if not ok:
        print("\nSome cells fail (above). Fix them, save, and run `python start.py validate` again.")
    else:
        print("\nEverything passes. The grader also runs hidden tests: other shapes, strides and paddings.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

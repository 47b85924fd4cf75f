"""Writing the instructor's files: whole or not at all, and CSV cells that stay text."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path


def atomic_write(path: Path, data: str | bytes) -> Path:
    """Write ``path`` through a temporary file beside it, so that a run stopped halfway
    leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    if isinstance(data, bytes):
        tmp.write_bytes(data)
    else:
        tmp.write_text(data, encoding="utf-8")
    tmp.replace(path)
    return path


def content_hash(files: dict[str, bytes] | Path, pattern: str = "*") -> str:
    """The one hash of a set of files (a folder's files matching ``pattern``, or files by
    name): their names and their bytes. What a re-run compares to decide what to redo."""
    if isinstance(files, Path):
        files = {p.relative_to(files).as_posix(): p.read_bytes() for p in files.rglob(pattern) if p.is_file()}
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def csv_cell(value) -> str:
    """A CSV text cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_csv(path: Path, rows: list[list]) -> Path:
    import io
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(rows)
    return atomic_write(path, buf.getvalue())

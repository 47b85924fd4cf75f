"""Intake: from what the instructor downloaded to nbgrader's layout.

Accepted sources:

* a folder laid out as nbgrader expects, ``<student>/<assignment>/*.ipynb`` (with
  nbgrader's ``timestamp.txt`` when there is one), for instance the course's ``submitted/``;
* the zip Canvas gives for "Download Submissions": files named
  ``<name>[_LATE]_<user id>_<submission id>_<file name>``, a resubmission as
  ``<file name>-<n>.ipynb``;
* the zip Moodle gives for "Download all submissions": ``<Full Name>_<participant
  id>_assignsubmission_file_/<file name>`` (or the same without the folder);
* a zip holding an nbgrader-style tree.

A student who handed in a zip of their notebooks, or renamed a notebook ("part1_forward
(1).ipynb", "Untitled.ipynb"), is still graded: notebooks are matched by name first and
by their nbgrader cell ids second, and the instructor is told. Everything is written to
``<course>/submitted/<student>/<assignment>/`` (only files whose content changed are
rewritten, so a re-run sees unchanged submissions as unchanged).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

MAX_FILE = 50 << 20          # a notebook larger than this is not taken from a zip
MAX_ZIP_TOTAL = 4 << 30      # uncompressed bytes read from one zip, nested zips included
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"

CANVAS = re.compile(r"^(?P<name>[^_/]+?)(?P<late>_LATE)?_(?P<uid>\d+)_(?P<sid>\d+)_(?P<file>.+)$")
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<rest>.*)$")
RESUBMISSION = re.compile(r"^(?P<stem>.+?)(?:-(?P<canvas>\d+)| \((?P<copy>\d+)\))?$")
STUDENT_ID = re.compile(r"[^A-Za-z0-9_.@+-]+")


class IntakeError(Exception):
    pass


@dataclass
class Student:
    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    lms_user_id: str | None = None


@dataclass
class Submission:
    student: str
    folder: Path
    timestamp: datetime | None = None
    lms_late: bool | None = None        # Canvas's own late marker; None when the LMS says nothing
    info: Student | None = None
    notes: list[str] = field(default_factory=list)


def read_roster(path: Path) -> dict[str, Student]:
    """A roster in nbgrader's columns: id, first_name, last_name, email[, lms_user_id]."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    if not rows or "id" not in rows[0]:
        raise IntakeError(f"{path}: a roster needs the column 'id' (nbgrader's columns: "
                          "id, first_name, last_name, email, lms_user_id)")
    students = {}
    for row in rows:
        sid = (row.get("id") or "").strip()
        if not sid:
            continue
        students[sid] = Student(sid, *(((row.get(k) or "").strip() or None)
                                       for k in ("first_name", "last_name", "email", "lms_user_id")))
    return students


def safe_id(text: str) -> str:
    """A student id usable as a folder name."""
    return STUDENT_ID.sub("-", text.strip()).strip("-.").lower() or "student"


def read_timestamp(folder: Path) -> datetime | None:
    path = folder / "timestamp.txt"
    if not path.is_file():
        return None
    from nbgrader.utils import parse_utc
    try:
        return parse_utc(path.read_text(encoding="utf-8").strip())
    except (ValueError, OverflowError):
        return None


def content_hash(folder: Path) -> str:
    """Of every file of a submission: what a re-run compares to decide whether to regrade."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


# Folders --------------------------------------------------------------------------------

def from_folder(root: Path, assignment: str, submitted: Path) -> list[Submission]:
    subs = []
    for student_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        folder = student_dir / assignment
        if not folder.is_dir():
            continue
        target = submitted / student_dir.name / assignment
        if folder.resolve() != target.resolve():
            files = {p.relative_to(folder).as_posix(): p.read_bytes()
                     for p in folder.rglob("*") if p.is_file()}
            _write(target, files)
        subs.append(Submission(student_dir.name, target, read_timestamp(target)))
    return subs


def _write(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        path = folder / rel
        if path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".partial")
        tmp.write_bytes(data)
        tmp.replace(path)
    for path in folder.rglob("*"):
        if path.is_file() and path.relative_to(folder).as_posix() not in files:
            path.unlink()  # a file of an earlier download that this one no longer has


# Zips -----------------------------------------------------------------------------------

@dataclass
class _Upload:
    name: str            # the file name the student gave it
    data: bytes
    when: datetime | None
    attempt: int = 0     # Canvas's resubmission number


@dataclass
class _Entrant:
    lms_id: str
    display: str
    late: bool = False
    uploads: list[_Upload] = field(default_factory=list)


class _Budget:
    def __init__(self):
        self.left = MAX_ZIP_TOTAL

    def read(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
        if info.file_size > MAX_FILE or info.file_size > self.left:
            return None
        data = zf.read(info)
        self.left -= len(data)
        return data


def _when(info: zipfile.ZipInfo) -> datetime | None:
    try:
        return datetime(*info.date_time, tzinfo=timezone.utc)
    except ValueError:
        return None


def _notebooks_in(name: str, data: bytes, when, budget: _Budget) -> list[_Upload]:
    """The notebooks of one uploaded file: itself, or those inside an uploaded zip."""
    if name.lower().endswith(".ipynb"):
        return [_Upload(name, data, when)]
    if name.lower().endswith(".zip"):
        out = []
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as inner:
                for info in inner.infolist():
                    base = PurePosixPath(info.filename).name
                    if info.is_dir() or "__MACOSX" in info.filename or base.startswith(".") \
                            or not base.lower().endswith(".ipynb") or ".ipynb_checkpoints" in info.filename:
                        continue
                    inner_data = budget.read(inner, info)
                    if inner_data is not None:
                        out.append(_Upload(base, inner_data, _when(info) or when))
        except zipfile.BadZipFile:
            pass
        return out
    return []


def detect(zf: zipfile.ZipFile) -> str:
    names = [n for n in zf.namelist() if not n.endswith("/") and "__MACOSX" not in n]
    if any(MOODLE.match(PurePosixPath(n).parts[0]) for n in names):
        return "moodle"
    if any(CANVAS.match(PurePosixPath(n).name) for n in names):
        return "canvas"
    if any(len(PurePosixPath(n).parts) >= 3 for n in names):
        return "folder"
    raise IntakeError("the zip is neither a Canvas nor a Moodle download nor an nbgrader "
                      "folder (<student>/<assignment>/<notebook>.ipynb)")


def _entrants(zf: zipfile.ZipFile, lms: str, assignment: str, budget: _Budget) -> dict[str, _Entrant]:
    entrants: dict[str, _Entrant] = {}
    for info in zf.infolist():
        path = PurePosixPath(info.filename)
        if info.is_dir() or "__MACOSX" in info.filename or path.name.startswith("."):
            continue
        if lms == "canvas":
            m = CANVAS.match(path.name)
            if not m:
                continue
            key, display, upload_name = m["uid"], m["name"], m["file"]
        elif lms == "moodle":
            m = MOODLE.match(path.parts[0])
            if not m:
                continue
            key, display = m["pid"], m["name"]
            upload_name = path.name if len(path.parts) > 1 else m["rest"]
        else:
            if len(path.parts) < 3 or path.parts[-2] != assignment:
                continue
            key = display = path.parts[-3]
            upload_name = path.name
        entrant = entrants.setdefault(key, _Entrant(key, display))
        if lms == "canvas" and m["late"]:
            entrant.late = True
        if upload_name == "timestamp.txt" and lms == "folder":
            continue
        data = budget.read(zf, info)
        if data is not None:
            entrant.uploads += _notebooks_in(upload_name, data, _when(info), budget)
    return entrants


def _grade_ids(data: bytes) -> set[str]:
    try:
        nb = json.loads(data.decode("utf-8", "replace"))
        return {c["metadata"]["nbgrader"]["grade_id"] for c in nb.get("cells", [])
                if isinstance(c, dict) and isinstance(c.get("metadata", {}).get("nbgrader"), dict)
                and isinstance(c["metadata"]["nbgrader"].get("grade_id"), str)}
    except (ValueError, AttributeError, TypeError):
        return set()


def match_notebooks(uploads: list[_Upload], expected: dict[str, set[str]]) -> tuple[dict[str, _Upload], list[str]]:
    """Which upload is which expected notebook. ``expected``: notebook name -> its grade ids."""
    notes, chosen = [], {}
    candidates: dict[str, list[_Upload]] = {}
    unmatched = []
    for up in uploads:
        m = RESUBMISSION.match(PurePosixPath(up.name).stem)
        stem = m["stem"] if m else PurePosixPath(up.name).stem
        up.attempt = int(m["canvas"] or m["copy"] or 0) if m else 0
        name = next((e for e in expected if e.lower() == stem.lower()), None)
        if name is None:
            unmatched.append(up)
        else:
            candidates.setdefault(name, []).append(up)
    for up in unmatched:
        ids = _grade_ids(up.data)
        best = max(expected, key=lambda e: len(ids & expected[e]), default=None)
        if best is not None and ids & expected[best]:
            candidates.setdefault(best, []).append(up)
            notes.append(f"{up.name} was graded as {best}.ipynb (matched by its cells)")
    for name, ups in candidates.items():
        ups.sort(key=lambda u: (u.attempt, u.when or datetime.min.replace(tzinfo=timezone.utc)))
        chosen[name] = ups[-1]
        if len(ups) > 1:
            notes.append(f"{len(ups)} files for {name}.ipynb; graded the latest, {ups[-1].name}")
    return chosen, notes


def from_zip(path: Path, assignment: str, expected: dict[str, set[str]], submitted: Path,
             roster: dict[str, Student], lms: str = "auto") -> tuple[list[Submission], str]:
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise IntakeError(f"{path} is not a zip file") from None
    with zf:
        lms = detect(zf) if lms == "auto" else lms
        entrants = _entrants(zf, lms, assignment, _Budget())
    by_lms_id = {s.lms_user_id: s for s in roster.values() if s.lms_user_id}
    ids: dict[str, list[str]] = {}
    for key, e in entrants.items():
        ids.setdefault(safe_id(e.display if lms != "folder" else e.lms_id), []).append(key)
    subs = []
    for key, e in sorted(entrants.items()):
        info = by_lms_id.get(key) if lms != "folder" else roster.get(key)
        if info is None:
            base = safe_id(e.display if lms != "folder" else e.lms_id)
            sid = base if len(ids[base]) == 1 else f"{base}-{key}"  # two students of one name
            first, _, last = e.display.partition(" ") if lms == "moodle" else (None, None, None)
            info = Student(sid, first or None, last or None, None, key if lms != "folder" else None)
        chosen, notes = match_notebooks(e.uploads, expected)
        folder = submitted / info.id / assignment
        files = {f"{name}.ipynb": up.data for name, up in chosen.items()}
        times = [up.when for up in chosen.values() if up.when]
        stamp = max(times) if times else None
        if stamp:
            files["timestamp.txt"] = stamp.strftime(TIMESTAMP_FORMAT).encode()
        if not chosen:
            notes.append("no notebook of this assignment was found in the upload")
        _write(folder, files)
        subs.append(Submission(info.id, folder, stamp, e.late if lms == "canvas" else None, info, notes))
    return subs, lms

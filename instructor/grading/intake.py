"""Intake: from what the instructor downloaded to nbgrader's layout, every entry accounted for.

Accepted downloads:

* a folder laid out as nbgrader expects, ``<student>/<assignment>/*.ipynb`` (with nbgrader's
  ``timestamp.txt`` when there is one), for instance the course's ``submitted/``, or a zip of one;
* the zip Canvas gives for "Download Submissions": flat, each file named
  ``<sortable name>[_LATE]_<user id>_<attachment id>_<file name>`` by ``lib/content_zipper.rb``
  in the canvas-lms repository (the name lower-cased with everything but letters and digits
  removed; older versions lower-case the late marker too, so it is matched in any case; a
  text entry is ``<name>_<user id>_text.html``; a re-upload of a same-named file becomes
  ``<file name>-1.ipynb``). Every entry carries the time the zip was built, not the time
  of the submission, so no time is read from it: Canvas's late marker is what says late;
* the zip Moodle gives for "Download all submissions": ``<Full Name>_<participant
  id>_assignsubmission_file/<file name>`` (``_file_/`` in older versions), or flat,
  ``..._assignsubmission_file_<file name>`` (``mod/assign/classes/downloader.php``). It
  carries no submission times; Moodle's grading worksheet (given as the roster) does.

Each entry of the download ends in the intake table (``intake.csv``), with what was done to
it: graded (as which notebook), an older resubmission, unpacked from the student's own zip,
not used (with the reason), ignored as litter of an operating system or of Jupyter, or
unmatched: an entry that belongs to no student stops the run before grading, unless the
instructor allows it. A student who handed in a zip of their notebooks, or renamed a
notebook ("part1_forward (1).ipynb", "Untitled.ipynb"), is still graded: notebooks are
matched by name first and by their nbgrader cell ids second. Nothing is written until the
whole download has been read; then everything goes to
``<course>/submitted/<student>/<assignment>/`` (only files whose content changed are
rewritten, so a re-run sees unchanged submissions as unchanged).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from instructor.grading.files import atomic_write, csv_cell, write_csv
from instructor.grading.lms import CANVAS_TEST_STUDENT, Roster, RosterError, Student, safe_id, squeeze

MAX_FILE = 50 << 20          # a notebook larger than this is not taken from a zip
MAX_ZIP_TOTAL = 4 << 30      # uncompressed bytes read from one zip, nested zips included
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"

CANVAS = re.compile(r"^(?P<name>[^/]+?)(?:_(?P<late>(?i:late)))?_(?P<uid>\d+)(?:_(?P<sid>\d+))?_(?P<file>[^/]+)$")
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)(?:_(?P<rest>.*))?$")
RESUBMISSION = re.compile(r"^(?P<stem>.+?)(?:-(?P<canvas>\d+)| \((?P<copy>\d+)\))?$")

# What an entry can become, in the order the table lists them.
GRADED, OLDER, UNPACKED, NOT_USED, IGNORED, UNMATCHED = (
    "graded", "older resubmission", "unpacked", "not used", "ignored", "unmatched")
ACTIONS = (GRADED, OLDER, UNPACKED, NOT_USED, IGNORED, UNMATCHED)


class IntakeError(Exception):
    pass


def litter(path: PurePosixPath) -> str | None:
    """Why a file is an operating system's or Jupyter's litter, not the student's work."""
    parts, name = path.parts, path.name
    if "__MACOSX" in parts or name.startswith("._"):
        return "macOS's resource fork, added by its Archive Utility"
    if name == ".DS_Store":
        return "macOS's folder settings (.DS_Store)"
    if ".ipynb_checkpoints" in parts:
        return "Jupyter's autosaved copy (.ipynb_checkpoints)"
    if "__pycache__" in parts:
        return "Python's bytecode cache (__pycache__)"
    if name in ("Thumbs.db", "desktop.ini"):
        return f"Windows' folder settings ({name})"
    return None


@dataclass
class Entry:
    name: str              # as in the download; a file inside a student's zip as "their.zip/inner/path"
    student: str = ""      # the gradebook id it went to
    action: str = ""
    detail: str = ""


@dataclass
class Submission:
    student: str
    folder: Path
    timestamp: datetime | None = None   # naive UTC, as nbgrader keeps it
    lms_late: bool | None = None        # Canvas's own late marker; None when the LMS says nothing
    lateness: str = ""                  # how its lateness is known
    info: Student | None = None
    notes: list[str] = field(default_factory=list)
    files: dict[str, bytes] | None = None   # what intake writes to ``folder``; None: already there


@dataclass
class Intake:
    lms: str                             # canvas, moodle or folder
    source: Path
    entries: list[Entry] = field(default_factory=list)
    submissions: list[Submission] = field(default_factory=list)
    not_on_roster: list[str] = field(default_factory=list)
    by_name: list[str] = field(default_factory=list)    # roster students matched by name, not LMS id
    ignored_rows: list[str] = field(default_factory=list)
    lateness: str = ""

    @property
    def unmatched(self) -> list[Entry]:
        return [e for e in self.entries if e.action == UNMATCHED]

    def write(self) -> None:
        for sub in self.submissions:
            if sub.files is not None:
                _write(sub.folder, sub.files)

    def write_table(self, path: Path) -> Path:
        rows = [["entry", "student", "action", "detail"]]
        for e in sorted(self.entries, key=lambda e: (ACTIONS.index(e.action), e.student, e.name)):
            rows.append([csv_cell(e.name), csv_cell(e.student), e.action, csv_cell(e.detail)])
        return write_csv(path, rows)

    def summary(self, limit: int = 12) -> list[str]:
        """What the command prints: the count of each action, then the entries that were not
        simply graded (at most ``limit`` of each action; the table has them all)."""
        counts = {a: sum(e.action == a for e in self.entries) for a in ACTIONS}
        lines = [f"Intake of {self.source.name} ({self.lms}): {len(self.entries)} entries, "
                 f"{len(self.submissions)} students; "
                 + ", ".join(f"{n} {a}" for a, n in counts.items() if n)]
        for action in ACTIONS[1:]:
            shown = [e for e in self.entries if e.action == action]
            for e in shown[:limit]:
                lines.append(f"  {action}: {e.name}" + (f" ({e.student})" if e.student else "") + f": {e.detail}")
            if len(shown) > limit:
                lines.append(f"  ... and {len(shown) - limit} more {action} (see the intake table)")
        return lines


def parse_timestamp(text: str) -> datetime | None:
    """nbgrader's timestamp.txt ("2026-11-20 10:00:00.000000 UTC"), as naive UTC."""
    from instructor.grading.deadline import DeadlineError, as_utc, parse_due
    text = text.strip()
    for fmt in (TIMESTAMP_FORMAT, "%Y-%m-%d %H:%M:%S UTC"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            pass
    try:
        return as_utc(parse_due(text))
    except DeadlineError:
        return None


def _write(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        path = folder / rel
        if not (path.is_file() and path.read_bytes() == data):
            atomic_write(path, data)
    for path in folder.rglob("*"):
        if path.is_file() and path.relative_to(folder).as_posix() not in files:
            path.unlink()  # a file of an earlier download that this one no longer has


# Reading a download -------------------------------------------------------------------------

@dataclass
class _Upload:
    name: str              # the file name the student gave it
    data: bytes
    entry: Entry
    order: tuple = ()      # later uploads sort last: (resubmission number, attachment id, position)
    via: str = ""          # the student's zip it came out of


@dataclass
class _Entrant:
    key: str               # the LMS's id, or the folder's name
    display: str
    late: bool = False
    uploads: list[_Upload] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    timestamp: datetime | None = None


class _Budget:
    def __init__(self, source: Path):
        self.left, self.source = MAX_ZIP_TOTAL, source

    def read(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, whose: str = "") -> bytes | None:
        """A member's bytes, read once and checked (CRC); None when it is too large to take."""
        if info.file_size > MAX_FILE or info.file_size > self.left:
            return None
        try:
            data = zf.read(info)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError) as err:
            raise IntakeError(f"{self.source}: the entry {info.filename}{whose} is damaged ({err}); "
                              "download the zip again") from None
        self.left -= len(data)
        return data


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise IntakeError(f"{path} is not a complete zip file (is the download cut short?)") from None
    except OSError as err:
        raise IntakeError(f"{path}: cannot be read ({err.strerror})") from None
    if not zf.infolist():
        zf.close()
        raise IntakeError(f"{path} is an empty zip: it holds no submission")
    return zf


def detect(names: list[str]) -> str:
    files = [n for n in names if not n.endswith("/") and not litter(PurePosixPath(n))]
    if any(MOODLE.match(PurePosixPath(n).parts[0]) for n in files):
        return "moodle"
    if any(CANVAS.match(PurePosixPath(n).name) for n in files):
        return "canvas"
    if any(len(PurePosixPath(n).parts) >= 3 for n in files):
        return "folder"
    raise IntakeError("the zip is neither a Canvas nor a Moodle download nor an nbgrader "
                      "folder (<student>/<assignment>/<notebook>.ipynb)")


def _unpack(entrant: _Entrant, name: str, data: bytes, entry: Entry, order: tuple, budget: _Budget,
            entries: list[Entry]) -> None:
    """One uploaded file: a notebook, or a zip of the student's own whose notebooks are taken."""
    lower = name.lower()
    if lower.endswith(".ipynb"):
        entrant.uploads.append(_Upload(name, data, entry, order))
        return
    if not lower.endswith(".zip"):
        entry.action, entry.detail = NOT_USED, "not a notebook"
        return
    try:
        inner = zipfile.ZipFile(io.BytesIO(data))
        with inner:
            entry.action, entry.detail = UNPACKED, f"the student's own zip: its files are listed as {entry.name}/..."
            for k, info in enumerate(inner.infolist()):
                path = PurePosixPath(info.filename)
                if info.is_dir():
                    continue
                sub = Entry(f"{entry.name}/{info.filename}", entry.student)
                entrant.entries.append(sub)
                entries.append(sub)
                why = litter(path)
                if why:
                    sub.action, sub.detail = IGNORED, why
                elif not path.name.lower().endswith(".ipynb"):
                    sub.action, sub.detail = NOT_USED, "not a notebook"
                else:
                    try:
                        inner_data = inner.read(info)
                    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as err:
                        sub.action, sub.detail = NOT_USED, f"damaged in the student's zip ({err})"
                        continue
                    budget.left -= len(inner_data)
                    if budget.left < 0:
                        raise IntakeError(f"{budget.source}: the zips inside it unpack to more than "
                                          f"{MAX_ZIP_TOTAL >> 30} GB")
                    entrant.uploads.append(_Upload(path.name, inner_data, sub, order + (k,), via=name))
    except zipfile.BadZipFile as err:
        entry.action, entry.detail = NOT_USED, f"a damaged zip of the student's ({err})"


def _entrants(zf: zipfile.ZipFile, lms: str, assignment: str, budget: _Budget,
              entries: list[Entry]) -> dict[str, _Entrant]:
    entrants: dict[str, _Entrant] = {}
    for position, info in enumerate(zf.infolist()):
        path = PurePosixPath(info.filename)
        entry = Entry(info.filename)
        entries.append(entry)
        why = litter(path)
        if info.is_dir():
            entry.action, entry.detail = IGNORED, "a folder (its files are listed)"
            continue
        if why:
            entry.action, entry.detail = IGNORED, why
            continue
        late, order = False, (0, 0, position)
        if lms == "canvas":
            m = CANVAS.match(path.name)
            if not m:
                entry.action, entry.detail = UNMATCHED, ("not named as Canvas names a submission "
                                                         "(<name>_<user id>_<attachment id>_<file>)")
                continue
            key, display, upload_name, late = m["uid"], m["name"], m["file"], bool(m["late"])
            order = (0, int(m["sid"] or 0), position)
        elif lms == "moodle":
            m = MOODLE.match(path.parts[0])
            if not m:
                entry.action, entry.detail = UNMATCHED, ("not in a folder named as Moodle names a submission "
                                                         "(<Full Name>_<id>_assignsubmission_file)")
                continue
            key, display = m["pid"], m["name"]
            upload_name = path.name if len(path.parts) > 1 else (m["rest"] or "")
            if m["plugin"] != "file":
                entrant = entrants.setdefault(key, _Entrant(key, display))
                entrant.entries.append(entry)
                entry.action, entry.detail = NOT_USED, f"Moodle's {m['plugin']} submission, not a file"
                continue
        else:
            if len(path.parts) < 3 or path.parts[-2] != assignment:
                entry.action, entry.detail = UNMATCHED, f"not in <student>/{assignment}/"
                continue
            key = display = path.parts[-3]
            upload_name = path.name
        entrant = entrants.setdefault(key, _Entrant(key, display))
        entrant.late = entrant.late or late
        entrant.entries.append(entry)
        data = budget.read(zf, info, f" (a file of {display})")
        if data is None:
            entry.action, entry.detail = NOT_USED, f"larger than {MAX_FILE >> 20} MB"
            continue
        if lms == "folder" and upload_name == "timestamp.txt":
            entry.action, entry.detail = NOT_USED, "read: the submission time (nbgrader's timestamp.txt)"
            entrant.timestamp = parse_timestamp(data.decode("utf-8", "replace"))
            continue
        _unpack(entrant, upload_name, data, entry, order, budget, entries)
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
    """Which upload is which expected notebook (``expected``: notebook name -> its grade ids);
    each upload's entry says what became of it."""
    notes, chosen = [], {}
    candidates: dict[str, list[_Upload]] = {}
    unmatched = []
    for up in uploads:
        m = RESUBMISSION.match(PurePosixPath(up.name).stem)
        stem = m["stem"] if m else PurePosixPath(up.name).stem
        attempt = int(m["canvas"] or m["copy"] or 0) if m else 0
        up.order = (attempt,) + up.order[1:]
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
        else:
            up.entry.action, up.entry.detail = NOT_USED, "a notebook that is none of this assignment's"
    for name, ups in candidates.items():
        ups.sort(key=lambda u: u.order)
        chosen[name] = latest = ups[-1]
        how = f"as {name}.ipynb" + ("" if PurePosixPath(latest.name).stem == name else
                                    f" (renamed {latest.name})")
        latest.entry.action = GRADED
        latest.entry.detail = how + (f", unpacked from the student's {latest.via}" if latest.via else "")
        if latest.via:
            notes.append(f"{name}.ipynb was unpacked from the zip {latest.via}")
        for up in ups[:-1]:
            up.entry.action, up.entry.detail = OLDER, f"an older upload of {name}.ipynb; graded {latest.name}"
        if len(ups) > 1:
            notes.append(f"{len(ups)} files for {name}.ipynb; graded the latest, {latest.name}")
    return chosen, notes


class _Identities:
    """Who an entrant of the download is: a roster student (by LMS id, else by a name that
    only one roster student without an LMS id has), or a student new to the roster."""

    def __init__(self, roster: Roster | None, lms: str, displays: list[str] = ()):
        self.roster, self.lms = roster, lms
        bases = [safe_id(d) for d in displays]
        self.shared = {b for b in bases if bases.count(b) > 1}  # two students of one name
        self.students = set(roster.students) if roster else set()
        self.roster_students = roster.students if roster else {}
        self.by_lms = roster.by_lms_id() if roster else {}
        self.taken: set[str] = set()
        names: dict[str, list[Student]] = {}
        for s in self.roster_students.values():
            if not s.lms_user_id:
                for n in s.names:
                    names.setdefault(n, []).append(s)
        self.names = {n: ss[0] for n, ss in names.items() if len(ss) == 1}

    def __call__(self, e: _Entrant, intake: Intake) -> tuple[Student, list[str]]:
        if self.lms == "folder":
            s = self.roster_students.get(e.key)
            if s is None:
                if self.roster is not None:
                    intake.not_on_roster.append(e.key)
                    return Student(e.key), ["not on the roster"]
                return Student(e.key), []
            return s, []
        s = self.by_lms.get(e.key)
        if s is not None:
            self.taken.add(s.id)
            return s, []
        s = self.names.get(squeeze(e.display))
        if s is not None and s.id not in self.taken:
            self.taken.add(s.id)
            intake.by_name.append(s.id)
            found = Student(s.id, s.first_name, s.last_name, s.email, e.key)
            return found, [f"matched to the roster's {s.id} by name (the roster has no LMS id for them)"]
        base = safe_id(e.display)
        sid = base if base not in self.students | self.taken | self.shared else f"{base}-{e.key}"
        self.taken.add(sid)
        first, _, last = e.display.partition(" ") if self.lms == "moodle" else ("", "", "")
        if self.roster is not None:
            intake.not_on_roster.append(sid)
        return Student(sid, first or None, last or None, None, e.key), \
            (["not on the roster"] if self.roster is not None else [])


def read_download(source: Path, assignment: str, expected: dict[str, set[str]], submitted: Path,
                  roster: Roster | None = None, lms: str = "auto", tz=None) -> Intake:
    """Read a download whole and decide what each entry becomes; nothing is written yet
    (``Intake.write`` does that once the run goes ahead)."""
    if source.is_dir():
        return _from_folder(source, assignment, expected, submitted, roster)
    zf = _open_zip(source)
    with zf:
        lms = detect(zf.namelist()) if lms == "auto" else lms
        intake = Intake(lms, source)
        entrants = _entrants(zf, lms, assignment, _Budget(source), intake.entries)
    identify = _Identities(roster, lms, [e.display for e in entrants.values()])
    for key, e in sorted(entrants.items(), key=lambda kv: kv[1].display):
        if lms == "canvas" and squeeze(e.display) == CANVAS_TEST_STUDENT and key not in identify.by_lms:
            for entry in e.entries:
                entry.action, entry.detail = IGNORED, "Canvas's Test Student (the course's Student View)"
            continue
        info, notes = identify(e, intake)
        for entry in e.entries:
            entry.student = info.id
        chosen, more = match_notebooks(e.uploads, expected)
        notes += more
        for up in e.uploads:
            up.entry.student = info.id
        files = {f"{name}.ipynb": up.data for name, up in chosen.items()}
        stamp = e.timestamp
        if lms == "moodle" and roster is not None and info.id in roster.submitted_at:
            stamp = _moodle_time(roster, info.id, tz)
        if stamp:
            files["timestamp.txt"] = stamp.strftime(TIMESTAMP_FORMAT).encode()
        if not chosen:
            notes.append("no notebook of this assignment was found in the upload")
        intake.submissions.append(Submission(info.id, submitted / info.id / assignment, stamp,
                                             lms_late=e.late if lms == "canvas" else None, info=info,
                                             notes=notes, files=files))
    intake.lateness = _lateness(lms, roster)
    for sub in intake.submissions:
        sub.lateness = intake.lateness
    if roster is not None:
        intake.ignored_rows = list(roster.skipped)
    return intake


def _moodle_time(roster: Roster, student: str, tz) -> datetime:
    from instructor.grading.deadline import as_utc
    from instructor.grading.lms import parse_moodle_time
    if tz is None:
        raise IntakeError(f"{roster.path}: Moodle writes 'Last modified (submission)' in the time zone of "
                          "whoever downloaded the worksheet; name that zone with --tz (e.g. --tz Europe/Berlin)")
    try:
        return as_utc(parse_moodle_time(roster.submitted_at[student], tz))
    except RosterError as err:
        raise IntakeError(f"{roster.path}: {err}") from None


def _lateness(lms: str, roster: Roster | None) -> str:
    if lms == "canvas":
        return ("late as Canvas marks it (_LATE in the file name): Canvas's download carries no "
                "submission times, its entries are stamped with the time the zip was built")
    if lms == "moodle":
        if roster is not None and roster.kind == "moodle-worksheet":
            return "submission times from the grading worksheet's 'Last modified (submission)'"
        return ("lateness unknown: Moodle's download carries no submission times (give its grading "
                "worksheet as --roster to flag late submissions)")
    return "submission times from nbgrader's timestamp.txt"


def _from_folder(root: Path, assignment: str, expected: dict[str, set[str]], submitted: Path,
                 roster: Roster | None) -> Intake:
    intake = Intake("folder", root)
    identify = _Identities(roster, "folder")
    for path in sorted(root.iterdir()):
        rel = PurePosixPath(path.name)
        if path.is_dir():
            folder = path / assignment
            if not folder.is_dir():
                continue  # a student's other assignments
            e = _Entrant(path.name, path.name)
            info, notes = identify(e, intake)
            files = {}
            for file in sorted(p for p in folder.rglob("*") if p.is_file()):
                inner = PurePosixPath(file.relative_to(root).as_posix())
                entry = Entry(inner.as_posix(), info.id)
                intake.entries.append(entry)
                why = litter(inner)
                if why:
                    entry.action, entry.detail = IGNORED, why
                    continue
                name = file.relative_to(folder).as_posix()
                if name == "timestamp.txt":
                    entry.action, entry.detail = NOT_USED, "read: the submission time (nbgrader's timestamp.txt)"
                elif name.endswith(".ipynb") and name[:-6] in expected:
                    entry.action, entry.detail = GRADED, f"as {name}"
                else:
                    entry.action, entry.detail = NOT_USED, "beside the notebooks: listed for the instructor, not graded"
                files[name] = file
            target = submitted / path.name / assignment
            copy = None if folder.resolve() == target.resolve() else {n: p.read_bytes() for n, p in files.items()}
            stamp = parse_timestamp(files["timestamp.txt"].read_text(encoding="utf-8")) \
                if "timestamp.txt" in files else None
            if not any(n.endswith(".ipynb") and n[:-6] in expected for n in files):
                notes.append("no notebook of this assignment was found in the upload")
            intake.submissions.append(Submission(info.id, target, stamp, info=info, notes=notes, files=copy))
        else:
            entry = Entry(rel.as_posix())
            intake.entries.append(entry)
            why = litter(rel)
            entry.action, entry.detail = (IGNORED, why) if why else (UNMATCHED, f"not in <student>/{assignment}/")
    intake.lateness = _lateness("folder", roster)
    for sub in intake.submissions:
        sub.lateness = intake.lateness if sub.timestamp else "no timestamp.txt: lateness unknown"
    return intake

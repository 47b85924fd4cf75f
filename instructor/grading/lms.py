"""Rosters as the LMS exports them, and grades in the file its gradebook import takes.

A roster is recognised by its header:

* nbgrader's columns ``id,first_name,last_name,email[,lms_user_id]``;
* Canvas's gradebook export (Grades > Export): ``Student,ID,[SIS User ID],SIS Login ID,
  [Integration ID],[Root Account],Section,...,<Title> (<assignment id>),...``, a
  ``Points Possible`` row and perhaps a ``Manual Posting`` row before the students (built
  by ``lib/gradebook_exporter.rb`` in the canvas-lms repository); ``ID`` is the Canvas user
  id that the submissions download carries;
* Moodle's offline grading worksheet (Assignment > Download grading worksheet):
  ``Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,
  Last modified (submission),...,Last modified (grade),Feedback comments``, the identifier
  written ``Participant <n>`` as in its download (``mod/assign/gradingtable.php``);
* Moodle's participants download (``First name,Last name,Email address``), which carries
  no id: its students are matched to the download by name.

Grades go back into the column they came from: Canvas's import (``lib/gradebook_importer.rb``)
finds the student by ``ID`` (then SIS ids, then the name) and the assignment by the ``(id)``
at the end of the column's title; Moodle's worksheet upload
(``mod/assign/feedback/offline/importgradeslib.php``) needs ``Identifier``, ``Grade`` and
``Last modified (grade)``. When the LMS states the assignment's maximum (Canvas's Points
Possible row, Moodle's Maximum Grade), the total is scaled to it.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from instructor.grading.files import csv_cell as _cell, write_csv as _write_csv


class RosterError(Exception):
    pass


@dataclass
class Student:
    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    lms_user_id: str | None = None

    @property
    def names(self) -> set[str]:
        """The keys a download's name may match: Canvas writes "last, first" squeezed,
        Moodle "first last"."""
        first, last = self.first_name or "", self.last_name or ""
        return {squeeze(last + first), squeeze(first + last)} - {""}


@dataclass
class Roster:
    kind: str                                   # nbgrader, canvas, moodle-worksheet, moodle-participants
    path: Path | None = None
    students: dict[str, Student] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)   # the export's rows, to write back
    row_of: dict[str, int] = field(default_factory=dict)  # student id -> index in rows
    submitted_at: dict[str, str] = field(default_factory=dict)  # Moodle: student -> "Last modified (submission)"
    skipped: list[str] = field(default_factory=list)      # rows not taken, with the reason

    def by_lms_id(self) -> dict[str, Student]:
        return {s.lms_user_id: s for s in self.students.values() if s.lms_user_id}

    def without_lms_id(self) -> list[str]:
        return sorted(s.id for s in self.students.values() if not s.lms_user_id)


STUDENT_ID = re.compile(r"[^A-Za-z0-9_.@+-]+")
CANVAS_TEST_STUDENT = "studenttest"  # Canvas's "Student, Test", the course's Student View
_TITLE_WITH_ID = re.compile(r"^(?P<title>.*)\s\((?P<id>\d+)\)$")
_CANVAS_TOTALS = re.compile(r"Current Score|Current Points|Current Grade|Final Score|Final Points|"
                            r"Final Grade|Override Score|Override Grade|Override Status")
MOODLE_TIME = "%A, %d %B %Y, %I:%M %p"  # userdate()'s strftimedaydatetime


def safe_id(text: str) -> str:
    """A student id usable as a folder name."""
    return STUDENT_ID.sub("-", text.strip()).strip("-.").lower() or "student"


def squeeze(text: str) -> str:
    """A name as Canvas writes it into file names: lower case, letters and digits only."""
    text = unicodedata.normalize("NFKD", text)
    return re.sub(r"[\W_]+", "", "".join(c for c in text if not unicodedata.combining(c)).lower())


def read_roster(path: Path) -> Roster:
    if not path.is_file():
        raise RosterError(f"{path}: no such roster file")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            sample = f.read(4096)
            f.seek(0)
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
            rows = [row for row in csv.reader(f, dialect)]
    except (UnicodeDecodeError, csv.Error) as err:
        raise RosterError(f"{path}: not a CSV file in UTF-8 ({err})") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise RosterError(f"{path}: the roster is empty")
    header = [h.strip() for h in rows[0]]
    for kind, needed, reader in _FORMATS:
        if needed <= set(header):
            roster = Roster(kind, path, header=header)
            reader(roster, rows[1:])
            return roster
    raise RosterError(f"{path}: a roster needs nbgrader's columns (id, first_name, last_name, email, "
                      "lms_user_id), or is Canvas's gradebook export or Moodle's grading worksheet or "
                      f"participants download; its header is: {', '.join(header)}")


def _cells(header: list[str], row: list[str]) -> dict[str, str]:
    return {h: (row[k].strip() if k < len(row) else "") for k, h in enumerate(header)}


def _add(roster: Roster, student: Student, k: int | None = None) -> None:
    if student.id in roster.students:
        raise RosterError(f"{roster.path}: the student id {student.id!r} is on two rows")
    roster.students[student.id] = student
    if k is not None:
        roster.row_of[student.id] = k


def _nbgrader(roster: Roster, rows: list[list[str]]) -> None:
    for row in rows:
        cells = _cells(roster.header, row)
        if cells["id"]:
            _add(roster, Student(cells["id"], *((cells.get(k) or None) for k in
                                                ("first_name", "last_name", "email", "lms_user_id"))))


def _canvas(roster: Roster, rows: list[list[str]]) -> None:
    roster.rows = [list(r) for r in rows]
    for k, row in enumerate(rows):
        cells = _cells(roster.header, row)
        name = cells.get("Student") or ", ".join(x for x in (cells.get("LastName"), cells.get("FirstName")) if x)
        if "Points Possible" in name or not cells["ID"] or name.startswith(("Manual Posting", "Muted")):
            continue
        if squeeze(name) == CANVAS_TEST_STUDENT:
            roster.skipped.append(f"{name} (ID {cells['ID']}): Canvas's Test Student, the course's Student View")
            continue
        last, _, first = name.partition(",")
        sid = safe_id(cells.get("SIS Login ID") or cells.get("SIS User ID") or squeeze(name))
        _add(roster, Student(sid, first.strip() or None, last.strip() or None, None, cells["ID"]), k)


def _moodle_worksheet(roster: Roster, rows: list[list[str]]) -> None:
    roster.rows = [list(r) for r in rows]
    for k, row in enumerate(rows):
        cells = _cells(roster.header, row)
        m = re.fullmatch(r"\D*?(\d+)", cells["Identifier"])
        if not m:
            raise RosterError(f"{roster.path}: row {k + 2}: the Identifier {cells['Identifier']!r} is not "
                              "Moodle's 'Participant <number>'")
        full = cells.get("Full name", "")
        first, _, last = full.partition(" ")
        email = cells.get("Email address") or None
        student = Student(safe_id(email or full or f"participant-{m[1]}"), first or None, last or None, email, m[1])
        _add(roster, student, k)
        when = cells.get("Last modified (submission)", "")
        if when and when != "-":
            roster.submitted_at[student.id] = when


def _moodle_participants(roster: Roster, rows: list[list[str]]) -> None:
    for row in rows:
        cells = _cells(roster.header, row)
        email = cells.get("Email address") or None
        first, last = cells["First name"], cells["Last name"]
        _add(roster, Student(safe_id(email or f"{first} {last}"), first or None, last or None, email))


_FORMATS = [
    ("nbgrader", {"id"}, _nbgrader),
    ("canvas", {"ID", "SIS Login ID", "Section"}, _canvas),
    ("moodle-worksheet", {"Identifier", "Grade", "Last modified (grade)"}, _moodle_worksheet),
    ("moodle-participants", {"First name", "Last name"}, _moodle_participants),
]


def parse_moodle_time(text: str, tz) -> datetime:
    """A worksheet's "Last modified (submission)", in the zone of the Moodle user who
    downloaded it."""
    try:
        return datetime.strptime(text, MOODLE_TIME).replace(tzinfo=tz)
    except ValueError:
        raise RosterError(f"'Last modified (submission)' {text!r} is not Moodle's English date "
                          "('Friday, 20 November 2026, 11:59 PM'); download the worksheet in English") from None


# The assignment's column -------------------------------------------------------------------

def canvas_columns(roster: Roster) -> list[str]:
    """The assignment columns of a Canvas export: titles ending in "(id)", not the totals."""
    return [h for h in roster.header if _TITLE_WITH_ID.match(h) and not _CANVAS_TOTALS.search(h)]


def canvas_column(roster: Roster | None, assignment: str, given: str | None) -> str:
    """The Canvas column that the grades go into, "Title (id)"."""
    if given:
        if not _TITLE_WITH_ID.match(given):
            raise RosterError(f"--canvas-column {given!r} is not Canvas's 'Title (id)', e.g. "
                              "'Assignment 1 (12345)' as the gradebook export heads the column")
        if roster is not None and roster.kind == "canvas" and given not in roster.header:
            raise RosterError(f"--canvas-column {given!r} is not a column of {roster.path}; its "
                              f"assignments are: {', '.join(canvas_columns(roster)) or 'none'}")
        return given
    if roster is None or roster.kind != "canvas":
        raise RosterError("a Canvas import needs the assignment's own column: give Canvas's gradebook "
                          "export as --roster, or --canvas-column 'Title (id)' (from that export's header)")
    found = [h for h in canvas_columns(roster)
             if squeeze(_TITLE_WITH_ID.match(h)["title"]) == squeeze(assignment)]
    if len(found) != 1:
        raise RosterError(f"which column of {roster.path} is {assignment}? name it with --canvas-column; "
                          f"its assignments are: {', '.join(canvas_columns(roster)) or 'none'}")
    return found[0]


def _points(text: str) -> float | None:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def _scaled(total: float, ours: float, theirs: float | None) -> float:
    return total if not theirs or not ours or theirs == ours else total * theirs / ours


def _number(x: float) -> str:
    return f"{round(x, 2):g}"


@dataclass
class GradeRow:
    student: Student
    total: float


def write_canvas(path: Path, rows: list[GradeRow], max_score: float, column: str,
                 roster: Roster | None) -> tuple[Path, str]:
    """Canvas's gradebook import: its identifying columns, then the assignment's column."""
    if roster is not None and roster.kind == "canvas":
        ident = roster.header[:roster.header.index("Section") + 1]
        possible = next((_cells(roster.header, r) for r in roster.rows
                         if "Points Possible" in (r[0] if r else "")), {})
        theirs = _points(possible.get(column, ""))
    else:
        ident, theirs = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"], None
    out = [ident + [column], ["    Points Possible"] + [""] * (len(ident) - 1) + [_number(theirs or max_score)]]
    for r in rows:
        if roster is not None and r.student.id in roster.row_of:
            source = roster.rows[roster.row_of[r.student.id]]  # Canvas's own cells, as it wrote them
            cells = [source[k] if k < len(source) else "" for k in range(len(ident))]
        else:
            s = r.student
            name = ", ".join(x for x in (s.last_name, s.first_name) if x) or s.id
            cells = [_cell(name), _cell(s.lms_user_id)] + [""] * (len(ident) - 2)
        out.append(cells + [_number(_scaled(r.total, max_score, theirs))])
    _write_csv(path, out)
    note = (f"totals scaled from {max_score:g} points to the column's {theirs:g}"
            if theirs and theirs != max_score else "")
    return path, note


def write_moodle(path: Path, rows: list[GradeRow], max_score: float, roster: Roster | None) -> tuple[Path, str]:
    """Moodle's grading worksheet with its Grade column filled, ready to upload."""
    if roster is not None and roster.kind == "moodle-worksheet":
        header, out = roster.header, [list(r) for r in roster.rows]
        g, mx = header.index("Grade"), header.index("Maximum Grade") if "Maximum Grade" in header else None
        theirs = None
        for r in rows:
            k = roster.row_of.get(r.student.id)
            if k is None:
                continue
            row = out[k] + [""] * (len(header) - len(out[k]))
            theirs = _points(row[mx]) if mx is not None else None
            row[g] = f"{_scaled(r.total, max_score, theirs):.2f}"
            out[k] = row
        _write_csv(path, [header] + out)
        note = (f"totals scaled from {max_score:g} points to Moodle's maximum grade {theirs:g}"
                if theirs and theirs != max_score else "")
        return path, note
    out = [["Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Last modified (grade)",
            "Feedback comments"]]
    for r in rows:
        s = r.student
        name = " ".join(x for x in (s.first_name, s.last_name) if x) or s.id
        out.append([f"Participant {s.lms_user_id}" if s.lms_user_id else _cell(s.id), _cell(name),
                    _cell(s.email), f"{r.total:.2f}", f"{max_score:.2f}", "-", ""])
    _write_csv(path, out)
    return path, ""

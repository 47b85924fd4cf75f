"""LMS downloads and exports built the way Canvas and Moodle build them, for the intake tests.

Where each format comes from (the LMS's own source, read for these fixtures):

* Canvas "Download Submissions" zip: ``lib/content_zipper.rb`` of the canvas-lms repository.
  Each attachment of a student's latest submission becomes one flat entry
  ``<sortable name>[_LATE]_<user id>_<attachment id>_<display name>``: the sortable name
  ("Lovelace, Ada") lower-cased with every non-word character removed, ``LATE`` when
  ``Submission#late?`` (older versions lower-case the whole prefix, so ``_late_``). A text
  entry is ``<prefix>_text.html``. Entries are written without a time, so each carries the
  moment the zip was built (rubyzip's ``DOSTime.now``). A file uploaded twice under one name
  is renamed ``name-1.ext`` by ``Attachment.make_unique_filename``. Canvas's Student View user
  is "Student, Test".
* Canvas gradebook export (Grades > Export): ``lib/gradebook_exporter.rb``: ``Student, ID,
  SIS User ID, SIS Login ID, Section``, then each assignment as ``<title> (<id>)``, then the
  totals; the second row is ``    Points Possible`` (four spaces). Its import,
  ``lib/gradebook_importer.rb``, is what ``canvas_import`` below follows.
* Moodle "Download all submissions": ``mod/assign/classes/downloader.php``: a folder
  ``<Full Name>_<participant id>_assignsubmission_file/`` per student (or, with folders off,
  the same prefix and ``_<file name>`` flat); online text as ``..._assignsubmission_onlinetext/
  onlinetext.html``. No submission time is carried.
* Moodle grading worksheet: ``mod/assign/gradingtable.php`` (download) and
  ``mod/assign/feedback/offline/importgradeslib.php`` (upload): ``Identifier`` written
  ``Participant <n>``, ``Last modified (submission)`` as ``userdate()`` writes it, e.g.
  ``Friday, 20 November 2026, 11:59 PM`` (day and hour without a leading zero), ``-`` when
  there is none.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

BUILT = (2026, 12, 1, 9, 30, 0)  # when the LMS built the zip: every entry carries it


def squeeze(sortable: str) -> str:
    return re.sub(r"[\W_]+", "", sortable.lower())


@dataclass
class CanvasUpload:
    name: str               # the display name of the attachment
    data: bytes
    attachment_id: int


@dataclass
class CanvasStudent:
    sortable: str           # "Lovelace, Ada"
    user_id: int
    late: str = ""          # "", "LATE" or "late"
    uploads: list[CanvasUpload] = field(default_factory=list)
    text_entry: str | None = None
    sis_login: str = ""
    sis_user: str = ""
    section: str = "Section 1"

    @property
    def prefix(self) -> str:
        return "_".join(x for x in (squeeze(self.sortable), self.late, str(self.user_id)) if x)


def zip_of(entries: dict[str, bytes], when=BUILT) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=when), data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def canvas_zip(path: Path, students: list[CanvasStudent], extra: dict[str, bytes] | None = None) -> Path:
    entries = {}
    for s in students:
        for up in s.uploads:
            entries[f"{s.prefix}_{up.attachment_id}_{up.name}"] = up.data
        if s.text_entry is not None:
            entries[f"{s.prefix}_text.html"] = f"<html><body>{s.text_entry}</body></html>".encode()
    entries.update(extra or {})
    path.write_bytes(zip_of(entries))
    return path


def canvas_export(path: Path, students: list[CanvasStudent], assignments: dict[str, tuple[int, float]]) -> Path:
    """Canvas's gradebook export: ``assignments`` maps a title to (id, points possible)."""
    columns = [f"{title} ({aid})" for title, (aid, _) in assignments.items()]
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *columns,
              "Current Score", "Unposted Current Score", "Final Score", "Unposted Final Score"]
    rows = [header, ["    Points Possible", "", "", "", "", *(f"{p:.2f}" for _, p in assignments.values()),
                     "(read only)", "(read only)", "(read only)", "(read only)"]]
    for s in students:
        rows.append([s.sortable, str(s.user_id), s.sis_user, s.sis_login, s.section,
                     *("" for _ in columns), "", "", "", ""])
    _csv(path, rows)
    return path


def canvas_import(export_csv: Path, import_csv: Path) -> dict[tuple[str, int], str]:
    """What Canvas's gradebook import (lib/gradebook_importer.rb) would change: {(Canvas user
    id, assignment id): score}. Students are found by ID, then SIS User ID, SIS Login ID and
    name among the course's students (the export's rows); columns by the "(id)" ending their
    title; the Points Possible row and read-only totals are skipped."""
    with open(export_csv, newline="", encoding="utf-8") as f:
        course = list(csv.reader(f))
    with open(import_csv, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert "Student" in header[0] and "ID" in header[1], header
    assert "Section" in header, "the last student column must be Section"
    ident = header.index("Section") + 1
    known = {"ID": {}, "SIS User ID": {}, "SIS Login ID": {}, "Student": {}}
    ch = course[0]
    for row in course[2:]:
        for column in known:
            if row[ch.index(column)]:
                known[column][row[ch.index(column)]] = row[ch.index("ID")]
    changes = {}
    for row in rows[1:]:
        if "Points Possible" in row[0] or re.fullmatch(r"[;, ]*", ",".join(row)):
            continue
        user = None
        for column in ("ID", "SIS User ID", "SIS Login ID", "Student"):
            if column in header and row[header.index(column)] in known[column]:
                user = known[column][row[header.index(column)]]
                break
        assert user is not None, f"Canvas would find no student for {row[:ident]}"
        for k in range(ident, len(header)):
            m = re.fullmatch(r"(.*)\s\((\d+)\)", header[k])
            if m and not re.search(r"Current|Final|Override", header[k]):
                changes[(user, int(m[2]))] = row[k]
    return changes


@dataclass
class MoodleStudent:
    full_name: str
    participant: int
    email: str
    files: dict[str, bytes] = field(default_factory=dict)
    submitted: datetime | None = None    # in the zone of whoever downloads the worksheet
    flat: bool = False                   # the download's "in folders" option off


def moodle_zip(path: Path, students: list[MoodleStudent], extra: dict[str, bytes] | None = None) -> Path:
    entries = {}
    for s in students:
        prefix = f"{s.full_name}_{s.participant}_assignsubmission_file"
        for name, data in s.files.items():
            entries[f"{prefix}_{name}" if s.flat else f"{prefix}/{name}"] = data
    entries.update(extra or {})
    path.write_bytes(zip_of(entries))
    return path


def moodle_time(when: datetime) -> str:
    """userdate() with strftimedaydatetime: no leading zero on the day or the hour."""
    return (f"{when:%A}, {when.day} {when:%B %Y}, {int(when.strftime('%I'))}:{when:%M %p}")


def moodle_worksheet(path: Path, students: list[MoodleStudent], max_grade: float = 100.0) -> Path:
    rows = [["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
             "Grade can be changed", "Last modified (submission)", "Last modified (grade)", "Feedback comments"]]
    for s in students:
        rows.append([f"Participant {s.participant}", s.full_name, s.email,
                     "Submitted for grading" if s.submitted else "No submission", "", f"{max_grade:.2f}",
                     "Yes", moodle_time(s.submitted) if s.submitted else "-", "-", ""])
    _csv(path, rows)
    return path


def _csv(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)

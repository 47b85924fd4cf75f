"""The round trip with Canvas and Moodle: their downloads read entry by entry, lateness from
the LMS (never from a zip's entry times), rosters in their export formats, grades back into
the LMS's own column, and bad input refused before any work with the gradebook untouched."""

from __future__ import annotations

import csv
import hashlib
import html
import re
import shutil
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

import classroom
import lms_fixtures as fx
from instructor.grading import cli, deadline, intake, lms

ASSIGNMENT = "assignment1"
TITLE = "Assignment 1 (4242)"
EXPECTED = {"part1_forward": {"zero_pad", "zero_pad_test", "conv_forward"},
            "part2_backward": {"conv_backward", "conv_backward_test"}}


def nb(*grade_ids: str, text: str = "") -> bytes:
    import json
    cells = [{"cell_type": "code", "source": text, "metadata": {"nbgrader": {"grade_id": g}}, "outputs": []}
             for g in grade_ids]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def read_grades(path: Path) -> dict[str, dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


# The deadline ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, tz, utc, there", [
    ("2026-11-20 23:59 +01:00", None, "2026-11-20 22:59", "2026-11-20 23:59 in UTC+01:00"),  # the README's example
    ("2026-11-20T23:59-05:00", None, "2026-11-21 04:59", "2026-11-20 23:59 in UTC-05:00"),
    ("2026-11-20 23:59 +0100", None, "2026-11-20 22:59", "2026-11-20 23:59 in UTC+01:00"),   # not +100 seconds
    ("2026-11-20T23:59:30Z", None, "2026-11-20 23:59", "2026-11-20 23:59 in UTC+00:00"),
    ("2026-11-20 23:59", "Europe/Berlin", "2026-11-20 22:59", "2026-11-20 23:59 in Europe/Berlin"),  # winter time
    ("2026-07-20 23:59", "Europe/Berlin", "2026-07-20 21:59", "2026-07-20 23:59 in Europe/Berlin"),  # summer time
    ("2026-11-20 23:59 -05:00", "Europe/Berlin", "2026-11-21 04:59", "2026-11-21 05:59 in Europe/Berlin"),
])
def test_a_deadline_is_read_as_written(text, tz, utc, there):
    due = deadline.parse_due(text, tz)
    assert f"{deadline.as_utc(due):%Y-%m-%d %H:%M}" == utc
    assert deadline.describe(due, tz) == f"{utc} UTC, which is {there}"


@pytest.mark.parametrize("text, tz, words", [
    ("2026-11-20 23:59", None, "has no offset from UTC"),
    ("05/11/2026 23:59", None, "is not a date and time with its offset"),
    ("tomorrow", None, "is not a date and time with its offset"),
    ("2026-02-30 12:00 +01:00", None, "is not a date that exists"),
    ("2026-11-20 23:59 +25:00", None, "is not an offset from UTC"),
    ("2026-03-29 02:30", "Europe/Berlin", "never happens or happens twice"),
    ("2026-11-20 23:59", "Mars/Olympus", "is not a time zone name"),
])
def test_a_deadline_that_could_be_misread_is_refused(text, tz, words):
    with pytest.raises(deadline.DeadlineError, match=words) as err:
        deadline.parse_due(text, tz)
    assert "\n" not in str(err.value)


# Rosters ------------------------------------------------------------------------------------------

CANVAS_CLASS = [
    fx.CanvasStudent("Lovelace, Ada", 101, sis_login="alovelace", sis_user="S101"),
    fx.CanvasStudent("Brown, Bo", 102),
    fx.CanvasStudent("Student, Test", 999),
]


def test_rosters_are_read_in_each_lms_format(tmp_path):
    canvas = lms.read_roster(fx.canvas_export(tmp_path / "canvas.csv", CANVAS_CLASS, {"Assignment 1": (4242, 85)}))
    assert canvas.kind == "canvas"
    assert {s.id: s.lms_user_id for s in canvas.students.values()} == {"alovelace": "101", "brownbo": "102"}
    assert canvas.students["alovelace"].first_name == "Ada" and canvas.students["alovelace"].last_name == "Lovelace"
    assert any("Test Student" in why for why in canvas.skipped)
    assert lms.canvas_columns(canvas) == [TITLE]

    moodle = [fx.MoodleStudent("Ada Lovelace", 5501, "ada@uni.example", submitted=datetime(2026, 11, 20, 9, 5)),
              fx.MoodleStudent("Bo Brown", 5502, "bo@uni.example")]
    sheet = lms.read_roster(fx.moodle_worksheet(tmp_path / "sheet.csv", moodle))
    assert sheet.kind == "moodle-worksheet"
    assert {s.id: s.lms_user_id for s in sheet.students.values()} == {"ada@uni.example": "5501",
                                                                     "bo@uni.example": "5502"}
    assert sheet.submitted_at == {"ada@uni.example": "Friday, 20 November 2026, 9:05 AM"}
    berlin = deadline.zone("Europe/Berlin")
    assert lms.parse_moodle_time(sheet.submitted_at["ada@uni.example"], berlin) \
        == datetime(2026, 11, 20, 9, 5, tzinfo=berlin)

    (tmp_path / "people.csv").write_text("First name,Last name,Email address\nAda,Lovelace,ada@uni.example\n")
    people = lms.read_roster(tmp_path / "people.csv")
    assert people.kind == "moodle-participants" and people.without_lms_id() == ["ada@uni.example"]


# Intake -------------------------------------------------------------------------------------------

def test_every_entry_of_a_canvas_download_is_accounted_for(tmp_path):
    own_zip = fx.zip_of({"hw/part1_forward.ipynb": nb("zero_pad", text="zipped"),
                         "__MACOSX/hw/._part1_forward.ipynb": b"\0\5\26\7",
                         "hw/.ipynb_checkpoints/part1_forward-checkpoint.ipynb": nb("zero_pad")},
                        when=(2026, 9, 1, 8, 0, 0))  # the student's files are old: no date is read from them
    students = [
        fx.CanvasStudent("Lovelace, Ada", 101, "LATE", [fx.CanvasUpload("part1_forward.ipynb", nb("zero_pad"), 9001)],
                         sis_login="alovelace"),
        fx.CanvasStudent("Brown, Bo", 102, "late", [fx.CanvasUpload("part1_forward.ipynb", nb("zero_pad"), 9002)]),
        fx.CanvasStudent("Curie, Cy", 103, "", [fx.CanvasUpload("part1_forward.ipynb", nb("zero_pad", text="v1"), 9003),
                                                fx.CanvasUpload("part1_forward-1.ipynb", nb("zero_pad", text="v2"), 9004),
                                                fx.CanvasUpload("notes.txt", b"my notes", 9005)]),
        fx.CanvasStudent("Dee, Di", 104, "", [fx.CanvasUpload("homework.zip", own_zip, 9006)], text_entry="see zip"),
        fx.CanvasStudent("Eve, Ed", 105, "", [fx.CanvasUpload("Untitled.ipynb", nb("conv_backward"), 9007)]),
        fx.CanvasStudent("Student, Test", 999, "", [fx.CanvasUpload("part1_forward.ipynb", nb("zero_pad"), 9008)]),
    ]
    download = fx.canvas_zip(tmp_path / "submissions.zip", students)
    roster = lms.read_roster(fx.canvas_export(tmp_path / "export.csv", students[:4], {"Assignment 1": (4242, 85)}))
    result = intake.read_download(download, ASSIGNMENT, EXPECTED, tmp_path / "submitted", roster)
    assert not (tmp_path / "submitted").exists()  # nothing written before the run goes ahead
    table = {e.name: (e.student, e.action) for e in result.entries}
    with zipfile.ZipFile(download) as zf:
        assert set(table) >= set(zf.namelist())  # every entry, and the files inside the student's zip
    assert table["lovelaceada_LATE_101_9001_part1_forward.ipynb"] == ("alovelace", "graded")
    assert table["brownbo_late_102_9002_part1_forward.ipynb"] == ("brownbo", "graded")  # not lost
    assert table["curiecy_103_9004_part1_forward-1.ipynb"] == ("curiecy", "graded")
    assert table["curiecy_103_9003_part1_forward.ipynb"] == ("curiecy", "older resubmission")
    assert table["curiecy_103_9005_notes.txt"] == ("curiecy", "not used")
    assert table["deedi_104_9006_homework.zip"] == ("deedi", "unpacked")
    assert table["deedi_104_9006_homework.zip/hw/part1_forward.ipynb"] == ("deedi", "graded")
    assert table["deedi_104_9006_homework.zip/__MACOSX/hw/._part1_forward.ipynb"][1] == "ignored"
    assert table["deedi_104_9006_homework.zip/hw/.ipynb_checkpoints/part1_forward-checkpoint.ipynb"][1] == "ignored"
    assert table["deedi_104_text.html"] == ("deedi", "not used")
    assert table["eveed_105_9007_Untitled.ipynb"] == ("eveed", "graded")
    assert table["studenttest_999_9008_part1_forward.ipynb"] == ("", "ignored")
    assert result.unmatched == [] and result.not_on_roster == ["eveed"]

    by = {s.student: s for s in result.submissions}
    assert set(by) == {"alovelace", "brownbo", "curiecy", "deedi", "eveed"}
    assert {s: by[s].lms_late for s in by} == {"alovelace": True, "brownbo": True, "curiecy": False,
                                               "deedi": False, "eveed": False}
    assert all(s.timestamp is None and "timestamp.txt" not in s.files for s in by.values())
    assert "Canvas's download carries no submission times" in result.lateness
    assert any("unpacked from the zip homework.zip" in n for n in by["deedi"].notes)
    assert by["eveed"].notes[0] == "not on the roster"
    result.write()
    assert (tmp_path / "submitted" / "curiecy" / ASSIGNMENT / "part1_forward.ipynb").read_bytes() \
        == nb("zero_pad", text="v2")
    rows = read_csv(result.write_table(tmp_path / "intake.csv"))
    assert rows[0] == ["entry", "student", "action", "detail"] and len(rows) == len(result.entries) + 1


def test_a_roster_without_lms_ids_never_makes_two_students_of_one(tmp_path):
    students = [fx.CanvasStudent("Lovelace, Ada", 101, "", [fx.CanvasUpload("part1_forward.ipynb", nb("zero_pad"), 1)]),
                fx.CanvasStudent("Brown, Bo", 102, "", [fx.CanvasUpload("part1_forward.ipynb", nb("zero_pad"), 2)])]
    download = fx.canvas_zip(tmp_path / "s.zip", students)
    (tmp_path / "roster.csv").write_text("id,first_name,last_name,email\nalovelace,Ada,Lovelace,a@x.org\n"
                                         "bbrown,Bo,Brown,b@x.org\n")
    roster = lms.read_roster(tmp_path / "roster.csv")
    result = intake.read_download(download, ASSIGNMENT, EXPECTED, tmp_path / "submitted", roster)
    assert sorted(s.student for s in result.submissions) == ["alovelace", "bbrown"]
    assert sorted(result.by_name) == ["alovelace", "bbrown"] and result.not_on_roster == []
    assert {s.student: s.info.lms_user_id for s in result.submissions} == {"alovelace": "101", "bbrown": "102"}


def test_every_entry_of_a_moodle_download_is_accounted_for(tmp_path):
    students = [fx.MoodleStudent("Ada Lovelace", 5501, "ada@uni.example", {"part1_forward.ipynb": nb("zero_pad")},
                                 submitted=datetime(2026, 11, 20, 23, 30)),
                fx.MoodleStudent("Bo Brown", 5502, "bo@uni.example", {"part1_forward.ipynb": nb("zero_pad")},
                                 submitted=datetime(2026, 11, 21, 0, 30), flat=True)]
    download = fx.moodle_zip(tmp_path / "moodle.zip", students, extra={
        "Ada Lovelace_5501_assignsubmission_onlinetext/onlinetext.html": b"<p>hi</p>", ".DS_Store": b"\0"})
    without = intake.read_download(download, ASSIGNMENT, EXPECTED, tmp_path / "a")
    assert [s.timestamp for s in without.submissions] == [None, None]
    assert without.lateness.startswith("lateness unknown")
    table = {e.name: (e.student, e.action) for e in without.entries}
    assert table["Ada Lovelace_5501_assignsubmission_onlinetext/onlinetext.html"] == ("ada-lovelace", "not used")
    assert table[".DS_Store"] == ("", "ignored")
    assert table["Bo Brown_5502_assignsubmission_file_part1_forward.ipynb"] == ("bo-brown", "graded")

    sheet = lms.read_roster(fx.moodle_worksheet(tmp_path / "sheet.csv", students))
    with pytest.raises(intake.IntakeError, match="--tz"):
        intake.read_download(download, ASSIGNMENT, EXPECTED, tmp_path / "b", sheet)
    berlin = deadline.zone("Europe/Berlin")
    with_times = intake.read_download(download, ASSIGNMENT, EXPECTED, tmp_path / "b", sheet, tz=berlin)
    assert {s.student: s.timestamp for s in with_times.submissions} == {
        "ada@uni.example": datetime(2026, 11, 20, 22, 30), "bo@uni.example": datetime(2026, 11, 20, 23, 30)}
    assert "grading worksheet" in with_times.lateness


# Grades back into the LMS ---------------------------------------------------------------------------

def test_the_canvas_file_updates_the_assignments_own_column(tmp_path):
    export = fx.canvas_export(tmp_path / "export.csv", CANVAS_CLASS, {"Quiz 0": (4000, 10), "Assignment 1": (4242, 85)})
    roster = lms.read_roster(export)
    column = lms.canvas_column(roster, ASSIGNMENT, None)
    assert column == TITLE
    grades = [lms.GradeRow(roster.students["alovelace"], 85.0), lms.GradeRow(roster.students["brownbo"], 42.5),
              lms.GradeRow(lms.Student("newcomer", "Nia", "New", None, "106"), 10.0)]
    path, note = lms.write_canvas(tmp_path / "grades-canvas.csv", grades, 85.0, column, roster)
    assert note == ""
    rows = read_csv(path)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", TITLE]
    assert rows[1][0] == "    Points Possible" and rows[1][-1] == "85"
    export_with_newcomer = fx.canvas_export(tmp_path / "course.csv", CANVAS_CLASS + [fx.CanvasStudent("New, Nia", 106)],
                                            {"Assignment 1": (4242, 85)})
    assert fx.canvas_import(export_with_newcomer, path) == {("101", 4242): "85", ("102", 4242): "42.5",
                                                            ("106", 4242): "10"}

    # Worth 100 points in Canvas: the totals are scaled to the column's points.
    roster = lms.read_roster(fx.canvas_export(tmp_path / "e2.csv", CANVAS_CLASS, {"Assignment 1": (4242, 100)}))
    path, note = lms.write_canvas(tmp_path / "g2.csv", grades[:2], 85.0, TITLE, roster)
    assert fx.canvas_import(export, path) == {("101", 4242): "100", ("102", 4242): "50"}
    assert "scaled from 85 points to the column's 100" in note


def test_the_canvas_column_must_be_known(tmp_path):
    roster = lms.read_roster(fx.canvas_export(tmp_path / "e.csv", CANVAS_CLASS, {"Homework": (1, 10), "Quiz": (2, 5)}))
    with pytest.raises(lms.RosterError, match="name it with --canvas-column; its assignments are: Homework"):
        lms.canvas_column(roster, ASSIGNMENT, None)
    with pytest.raises(lms.RosterError, match="needs the assignment's own column"):
        lms.canvas_column(None, ASSIGNMENT, None)
    with pytest.raises(lms.RosterError, match="is not Canvas's 'Title \\(id\\)'"):
        lms.canvas_column(None, ASSIGNMENT, "assignment1")
    assert lms.canvas_column(roster, ASSIGNMENT, "Quiz (2)") == "Quiz (2)"


def test_the_moodle_worksheet_comes_back_with_its_grades(tmp_path):
    students = [fx.MoodleStudent("Ada Lovelace", 5501, "ada@uni.example"),
                fx.MoodleStudent("Bo Brown", 5502, "bo@uni.example")]
    sheet = fx.moodle_worksheet(tmp_path / "sheet.csv", students, max_grade=100)
    roster = lms.read_roster(sheet)
    path, note = lms.write_moodle(tmp_path / "grades-moodle.csv", [lms.GradeRow(roster.students["ada@uni.example"], 85),
                                                                   lms.GradeRow(roster.students["bo@uni.example"], 17)],
                                  85.0, roster)
    rows, original = read_csv(path), read_csv(sheet)
    assert rows[0] == original[0]
    grade = rows[0].index("Grade")
    assert [r[grade] for r in rows[1:]] == ["100.00", "20.00"]
    for row, before in zip(rows[1:], original[1:]):  # everything else as Moodle wrote it
        assert row[:grade] + row[grade + 1:] == before[:grade] + before[grade + 1:]
    assert "Moodle's maximum grade 100" in note


# Bad input ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return classroom.make_course(tmp_path_factory.mktemp("badinput") / "course")


def _damaged(tmp: Path) -> Path:
    students = [fx.CanvasStudent("Lovelace, Ada", 101, "", [fx.CanvasUpload("part1_forward.ipynb", nb("zero_pad") * 50, 1)])]
    path = fx.canvas_zip(tmp / "damaged.zip", students)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.infolist()[0]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for k in range(start + 10, start + 40):  # inside the compressed data
        data[k] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def _canvas(tmp: Path, extra: dict | None = None) -> Path:
    students = [fx.CanvasStudent("Lovelace, Ada", 101, "", [fx.CanvasUpload("part1_forward.ipynb", nb("zero_pad"), 1)])]
    return fx.canvas_zip(tmp / "canvas.zip", students, extra)


def _truncated(tmp: Path) -> Path:
    path = _canvas(tmp)
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    return path


def _empty(tmp: Path) -> Path:
    path = tmp / "empty.zip"
    path.write_bytes(fx.zip_of({}))
    return path


def _roster(tmp: Path, text: str) -> Path:
    (tmp / "roster.csv").write_text(text)
    return tmp / "roster.csv"


NO_IDS = "id,first_name,last_name,email\nalovelace,Ada,Lovelace,a@x.org\n"
BAD_INPUT = [
    ("damaged-member", lambda t: [str(_damaged(t)), "--canvas-column", TITLE],
     "the entry lovelaceada_101_1_part1_forward.ipynb (a file of lovelaceada) is damaged"),
    ("truncated-zip", lambda t: [str(_truncated(t)), "--canvas-column", TITLE], "is not a complete zip file"),
    ("empty-zip", lambda t: [str(_empty(t))], "is an empty zip"),
    ("roster-missing-a-column", lambda t: [str(_canvas(t)), "--roster", str(_roster(t, "name,email\nada,a@x\n"))],
     "a roster needs nbgrader's columns"),
    ("strict-roster-without-lms-ids", lambda t: [str(_canvas(t)), "--canvas-column", TITLE, "--strict-roster",
                                                 "--roster", str(_roster(t, NO_IDS + "bbrown,Bo,Brown,b@x.org\n"))],
     "--strict-roster: the roster and the download disagree"),
    ("missing-roster-file", lambda t: [str(_canvas(t)), "--roster", str(t / "nowhere.csv")], "no such roster file"),
    ("due-without-offset", lambda t: [str(_canvas(t)), "--due", "2026-11-20 23:59"], "has no offset from UTC"),
    ("due-day-first", lambda t: [str(_canvas(t)), "--due", "05/11/2026 23:59"], "is not a date and time"),
    ("impossible-date", lambda t: [str(_canvas(t)), "--due", "2026-02-30 23:59 +01:00"], "is not a date that exists"),
    ("no-such-student", lambda t: [str(_canvas(t)), "--canvas-column", TITLE, "--student", "nosuch"],
     "--student nosuch: not in canvas.zip nor on the roster"),
    ("unmatched-entry", lambda t: [str(_canvas(t, {"readme.txt": b"hello"})), "--canvas-column", TITLE],
     "1 entries of canvas.zip belong to no student: readme.txt"),
    ("canvas-column-unknown", lambda t: [str(_canvas(t))], "a Canvas import needs the assignment's own column"),
]


def _state(course: Path) -> dict:
    """What the command must not have touched: the gradebook, bytes and all, and the course's
    files (the intake table, written to say what was refused, aside)."""
    db = course / "gradebook.db"
    files = sorted(p.relative_to(course).as_posix() for p in course.rglob("*") if p.is_file() and p.name != "intake.csv")
    return {"gradebook": hashlib.sha256(db.read_bytes()).hexdigest() if db.exists() else None, "files": files}


@pytest.mark.parametrize("build, words", [pytest.param(b, w, id=i) for i, b, w in BAD_INPUT])
def test_bad_input_is_refused_before_any_work(course, tmp_path, capsys, build, words):
    args = build(tmp_path)
    before = _state(course)
    status = cli.main([ASSIGNMENT, *args, "--course", str(course)])
    out, err = capsys.readouterr()
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("cnnbook-grade: ") and words in err, err
    assert "Traceback" not in out + err and "Bounds on every submission" not in out
    assert _state(course) == before


# The whole round trip, graded ------------------------------------------------------------------------

def _notebooks(staged: Path, student: str, answers: dict) -> dict[str, bytes]:
    folder = classroom.submit(staged, student, answers)
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.ipynb"))}


@pytest.mark.slow
def test_a_canvas_class_round_trip(tmp_path):
    """A Canvas download as Canvas builds it, graded with Canvas's gradebook export as the roster;
    the grades file imports into the assignment's own column."""
    course = classroom.make_course(tmp_path / "course")
    staged = tmp_path / "staged"
    shutil.copytree(course / "notebooks", staged / "notebooks")
    sol, pts = classroom.answer_sources(), classroom.points()
    total = sum(pts.values())
    full = _notebooks(staged, "full", sol)
    stub = _notebooks(staged, "stub", {})
    wrong_pad = _notebooks(staged, "pad", {**sol, "zero_pad": "def zero_pad(X, pad):\n    return X\n"})
    own_zip = fx.zip_of({f"work/{k}": v for k, v in full.items()} | {"__MACOSX/work/._x": b"\0"},
                        when=(2026, 9, 1, 8, 0, 0))
    ids = iter(range(9001, 9100))

    def uploads(files):
        return [fx.CanvasUpload(name, data, next(ids)) for name, data in files.items()]

    students = [
        fx.CanvasStudent("Lovelace, Ada", 101, "LATE", uploads(full), sis_login="alovelace"),
        fx.CanvasStudent("Brown, Bo", 102, "late", uploads(wrong_pad)),
        fx.CanvasStudent("Curie, Cy", 103, "", uploads(stub) + uploads({"part1_forward-1.ipynb": full["part1_forward.ipynb"],
                                                                           "part2_backward-1.ipynb": full["part2_backward.ipynb"]})),
        fx.CanvasStudent("Dee, Di", 104, "", uploads({"homework.zip": own_zip})),
        fx.CanvasStudent("Eve, Ed", 105, "", uploads(full)),
        fx.CanvasStudent("Student, Test", 999, "", uploads(stub)),
    ]
    download = fx.canvas_zip(tmp_path / "submissions.zip", students)
    export = fx.canvas_export(tmp_path / "export.csv", students[:4] + [fx.CanvasStudent("Fay, Flo", 106)],
                              {"Assignment 1": (4242, total)})
    status = cli.main([ASSIGNMENT, str(download), "--course", str(course), "--roster", str(export),
                       "--due", "2026-11-20 23:59 +01:00", "--timeout", "10", "--no-feedback"])
    assert status == 0
    out = course / "grading" / ASSIGNMENT
    grades = read_grades(out / "grades.csv")
    want = {"alovelace": (total, "1"), "brownbo": (total - pts["zero_pad"], "1"), "curiecy": (total, "0"),
            "deedi": (total, "0"), "eveed": (total, "0")}
    assert set(grades) == set(want) | {"fayflo"}
    for student, expect in want.items():
        assert (float(grades[student]["total"]), grades[student]["late"]) == expect, student
    assert grades["fayflo"]["submitted"] == "0" and grades["fayflo"]["attention"] == "no submission"
    assert "not on the roster" in grades["eveed"]["attention"]
    assert "unpacked from the zip homework.zip" in grades["deedi"]["attention"]
    assert "graded the latest, part1_forward-1.ipynb" in grades["curiecy"]["attention"]
    assert "the LMS marked it late" in grades["brownbo"]["attention"]
    assert grades["curiecy"]["needs_attention"] == "1" and grades["alovelace"]["needs_attention"] == "0"
    test_student = [r for r in read_csv(out / "intake.csv") if r[0].startswith("studenttest_999_")]
    assert len(test_student) == len(stub)
    assert all(r[1:] == ["", "ignored", "Canvas's Test Student (the course's Student View)"] for r in test_student)
    # Eve joined the course after the export was taken: Canvas knows her when the file is imported.
    enrolled = fx.canvas_export(tmp_path / "enrolled.csv", students[:5] + [fx.CanvasStudent("Fay, Flo", 106)],
                                {"Assignment 1": (4242, total)})
    changes = fx.canvas_import(enrolled, out / "grades-canvas.csv")
    assert changes == {("101", 4242): f"{total:g}", ("102", 4242): f"{total - pts['zero_pad']:g}",
                       ("103", 4242): f"{total:g}", ("104", 4242): f"{total:g}", ("105", 4242): f"{total:g}",
                       ("106", 4242): "0"}
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<td data-late='alovelace'>" in page and "<td data-late='brownbo'>" in page
    text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", page, flags=re.S)))
    assert "#" not in text  # no placeholder stands in for a number


@pytest.mark.slow
@pytest.mark.parametrize("worksheet", [True, False], ids=["with-worksheet", "without-worksheet"])
def test_a_moodle_class_round_trip(tmp_path, worksheet):
    course = classroom.make_course(tmp_path / "course")
    staged = tmp_path / "staged"
    shutil.copytree(course / "notebooks", staged / "notebooks")
    sol, pts = classroom.answer_sources(), classroom.points()
    total = sum(pts.values())
    students = [fx.MoodleStudent("Ada Lovelace", 5501, "ada@uni.example", _notebooks(staged, "a", sol),
                                 submitted=datetime(2026, 11, 20, 23, 30)),
                fx.MoodleStudent("Bo Brown", 5502, "bo@uni.example", _notebooks(staged, "b", {}),
                                 submitted=datetime(2026, 11, 21, 1, 15), flat=True)]
    download = fx.moodle_zip(tmp_path / "moodle.zip", students)
    args = [ASSIGNMENT, str(download), "--course", str(course), "--due", "2026-11-20 23:59", "--tz", "Europe/Berlin",
            "--timeout", "10", "--no-feedback"]
    if worksheet:
        args += ["--roster", str(fx.moodle_worksheet(tmp_path / "sheet.csv", students))]
    assert cli.main(args) == 0
    out = course / "grading" / ASSIGNMENT
    grades = read_grades(out / "grades.csv")
    ada, bo = ("ada@uni.example", "bo@uni.example") if worksheet else ("ada-lovelace", "bo-brown")
    assert float(grades[ada]["total"]) == total and float(grades[bo]["total"]) == 0
    assert "untouched" in grades[bo]["attention"]
    page = (out / "report.html").read_text(encoding="utf-8")
    if worksheet:
        assert (grades[ada]["late"], grades[bo]["late"]) == ("0", "1")
        assert int(grades[bo]["seconds_late"]) == 76 * 60 and "late by 1 h 16 min" in grades[bo]["attention"]
        rows = read_csv(out / "grades-moodle.csv")
        grade = rows[0].index("Grade")
        assert [r[grade] for r in rows[1:]] == ["100.00", "0.00"]
    else:
        assert grades[ada]["late"] == grades[bo]["late"] == "0"
        assert "lateness unknown: Moodle's download carries no submission times" in html.unescape(page)

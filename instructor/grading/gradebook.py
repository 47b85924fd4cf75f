"""The gradebook: nbgrader's own database, written only by the process that owns the run.

Scores go where ``nbgrader autograde`` puts them (``Grade.auto_score``), so formgrader,
``nbgrader export`` and ``nbgrader generate_feedback`` see them, and a manual score or
comment entered in formgrader (``manual_score``, ``manual_comment``) is never touched:
it keeps taking precedence on every re-run, as in nbgrader.

Two tables of this pipeline live beside nbgrader's in the same database, so that several
machines grading into one PostgreSQL gradebook share them: ``cnnbook_grading`` (per
submission: the hash of the files graded, the hash of the grader that graded them, the
detailed result, the hash behind the feedback last written) and ``cnnbook_assignment``
(the hash of the source notebooks last recorded in the gradebook).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, select, text

from instructor.grading.files import content_hash
from instructor.grading.intake import Submission
from instructor.grading.job import Result
from instructor.grading.lms import Student

metadata = MetaData()
STATE = Table("cnnbook_grading", metadata,
              Column("assignment", String(128), primary_key=True),
              Column("student", String(128), primary_key=True),
              Column("content_hash", String(64)), Column("grader_hash", String(64)),
              Column("feedback_hash", String(64)), Column("result", Text()),
              Column("graded_at", DateTime()))
ASSIGNMENTS = Table("cnnbook_assignment", metadata,
                    Column("assignment", String(128), primary_key=True),
                    Column("source_hash", String(64)))
RUNS = Table("cnnbook_run", metadata,  # who grades an assignment now (see RunLock)
             Column("assignment", String(128), primary_key=True),
             Column("holder", Text()), Column("started", DateTime()))
CHECKS = Table("cnnbook_self_check", metadata,  # the grader and limits the solutions passed with
               Column("assignment", String(128), primary_key=True),
               Column("key", String(64), primary_key=True))


def sync_assignment(course: Path, assignment: str, db_url: str) -> None:
    """Record the assignment's notebooks, cells and points in the gradebook (nbgrader's
    generate_assignment, run in a scratch folder so that the course's release folder is
    left as it is)."""
    from nbgrader.apps import NbGraderAPI

    from instructor import release

    from nbgrader.coursedir import CourseDirectory

    folder = CourseDirectory(config=release.nbgrader_config(course)).source_directory
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(course / folder / assignment, Path(tmp) / folder / assignment)
        config = release.nbgrader_config(Path(tmp))
        config.CourseDirectory.db_url = db_url
        result = NbGraderAPI(config=config).generate_assignment(assignment, force=True)
    if not result["success"]:
        raise RuntimeError(f"nbgrader could not record {assignment} in the gradebook:\n"
                           f"{result.get('error')}\n{result.get('log')}")


class Book:
    """The gradebook of one assignment, opened by the run's owner."""

    def __init__(self, db_url: str, course_id: str, assignment: str):
        from nbgrader.api import Gradebook

        self.gb = Gradebook(db_url, course_id)
        self.assignment = assignment
        metadata.create_all(self.gb.engine)

    def close(self) -> None:
        self.gb.close()

    @property
    def db(self):
        return self.gb.db

    # The assignment ----------------------------------------------------------------

    def source_hash(self) -> str | None:
        return self.db.execute(select(ASSIGNMENTS.c.source_hash)
                               .where(ASSIGNMENTS.c.assignment == self.assignment)).scalar()

    def set_source_hash(self, value: str) -> None:
        self.db.execute(ASSIGNMENTS.delete().where(ASSIGNMENTS.c.assignment == self.assignment))
        self.db.execute(ASSIGNMENTS.insert().values(assignment=self.assignment, source_hash=value))
        self.db.commit()

    def passed_self_check(self, key: str) -> bool:
        return self.db.execute(select(CHECKS.c.key).where(CHECKS.c.assignment == self.assignment,
                                                          CHECKS.c.key == key)).first() is not None

    def set_self_check(self, key: str) -> None:
        if not self.passed_self_check(key):
            self.db.execute(CHECKS.insert().values(assignment=self.assignment, key=key))
            self.db.commit()

    def has_assignment(self) -> bool:
        from nbgrader.api import MissingEntry
        try:
            self.gb.find_assignment(self.assignment)
            return True
        except MissingEntry:
            return False

    def set_duedate(self, due: datetime) -> None:
        self.gb.update_or_create_assignment(self.assignment, duedate=due)

    def grade_cells(self) -> list[tuple[str, str, float]]:
        """(notebook, grade id, points) of every graded cell, in notebook order."""
        out = []
        for nb in self.gb.find_assignment(self.assignment).notebooks:
            for cell in nb.grade_cells:
                out.append((nb.name, cell.name, float(cell.max_score)))
        return out

    # Students and submissions ---------------------------------------------------------

    def _stage_student(self, student: Student, row) -> None:
        """The student's row added or changed in the session (``row``: the one there is, or None),
        writing only what changed; the caller commits."""
        from nbgrader.api import Student as Row
        fields = {k: v for k, v in (("first_name", student.first_name), ("last_name", student.last_name),
                                    ("email", student.email), ("lms_user_id", student.lms_user_id)) if v}
        if row is None:
            self.db.add(Row(id=student.id, **fields))
        else:
            for k, v in fields.items():
                if getattr(row, k) != v:
                    setattr(row, k, v)

    def ensure_students(self, students) -> None:
        """The roster's students, in one transaction, writing only what changed."""
        from nbgrader.api import Student as Row
        known = {s.id: s for s in self.gb.db.query(Row).all()}
        for student in students:
            self._stage_student(student, known.get(student.id))
        self.db.commit()

    def students(self) -> list:
        return self.gb.students

    def state(self, student: str) -> dict | None:
        row = self.db.execute(select(STATE).where(STATE.c.assignment == self.assignment,
                                                  STATE.c.student == student)).mappings().first()
        return dict(row) if row else None

    def states(self) -> dict[str, dict]:
        rows = self.db.execute(select(STATE).where(STATE.c.assignment == self.assignment)).mappings()
        return {row["student"]: dict(row) for row in rows}

    def submission(self, student: str):
        from nbgrader.api import MissingEntry
        try:
            return self.gb.find_submission(self.assignment, student)
        except MissingEntry:
            return None

    def _put_state(self, student: str, **values) -> None:
        current = self.state(student)
        if current is None:
            self.db.execute(STATE.insert().values(assignment=self.assignment, student=student, **values))
        else:
            self.db.execute(STATE.update().where(STATE.c.assignment == self.assignment,
                                                 STATE.c.student == student).values(**values))

    def record(self, result: Result, sub: Submission, content_hash: str, grader_hash: str) -> None:
        """Write one graded submission: auto scores and comments into nbgrader's tables and
        the pipeline's own row, in one transaction (a first submission's empty rows, made by
        nbgrader with its student's, in one before). A run stopped between them regrades this
        submission next time, which writes the same values again. (Each commit of a SQLite
        gradebook waits for the disk: fewer of them is most of what recording costs.)"""
        from nbgrader import utils
        from nbgrader.api import Grade, MissingEntry, SubmittedNotebook
        from nbgrader.api import Student as Row

        self._stage_student(sub.info or Student(sub.student), self.db.get(Row, sub.student))
        submission = self.submission(sub.student)
        if submission is None:  # nbgrader's empty rows of every cell; commits, the student with them
            kwargs = {"timestamp": sub.timestamp} if sub.timestamp else {}
            submission = self.gb.add_submission(self.assignment, sub.student, **kwargs)
        elif sub.timestamp:
            submission.timestamp = utils.parse_utc(sub.timestamp)  # as update_or_create_submission does
        for name, record in result.notebooks.items():
            try:
                snb = self.gb.find_submission_notebook(name, self.assignment, sub.student)
            except MissingEntry:  # a notebook added to the assignment after this submission
                snb = SubmittedNotebook(notebook=self.gb.find_notebook(name, self.assignment),
                                        assignment=submission)
                self.db.add(snb)
            scores = {t.grade_id: t.score for t in record.tests}
            unchanged = set(record.unchanged_answers)
            by_hand = set(record.graded_by_hand)
            have = {g.cell_id for g in snb.grades}
            for cell in snb.notebook.grade_cells:
                if cell.id not in have:
                    self.db.add(Grade(cell_id=cell.id, notebook=snb))
            self.db.flush()
            for grade in snb.grades:
                if grade.name in scores:
                    grade.auto_score = scores[grade.name]
                elif grade.name in by_hand:  # zero only when left as handed out, as nbgrader does
                    grade.auto_score = 0.0 if grade.name in unchanged else None
                # As nbgrader does: a cell with a manual score, or none at all, is for review.
                grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
            for comment in snb.comments:
                comment.auto_comment = "No response." if comment.name in unchanged else None
        self._put_state(sub.student, content_hash=content_hash, grader_hash=grader_hash,
                        result=json.dumps(slim(result, sub)), graded_at=datetime.now(timezone.utc))
        self.db.commit()

    def feedback_hash(self, student: str, autograded: Path) -> str:
        """What the feedback of a student shows: final scores, comments, the notebooks."""
        sub = self.submission(student)
        scores = []
        if sub is not None:
            for nb in sorted(sub.notebooks, key=lambda n: n.name):
                scores += [f"{nb.name}/{g.name}={g.score}\n" for g in sorted(nb.grades, key=lambda g: g.name)]
                scores += [f"{nb.name}/{c.name}:{c.comment}\n" for c in sorted(nb.comments, key=lambda c: c.name)]
        files = {f"autograded/{p.name}": p.read_bytes()
                 for p in (autograded.glob("*.ipynb") if autograded.is_dir() else [])}
        return content_hash({"scores": "".join(scores).encode(), **files})

    def set_feedback_hash(self, student: str, value: str) -> None:
        self._put_state(student, feedback_hash=value)
        self.db.commit()

    def ready_for_feedback(self) -> None:
        """Add the course row nbgrader's feedback adds the first time it opens the gradebook
        (``GetGrades`` opens it without a course id, so as ``default_course``): written here
        once, before several processes write feedback at the same time and collide on it."""
        self.gb.check_course()

    def ping(self) -> None:
        """Raises sqlalchemy's DBAPIError when the database no longer answers."""
        self.db.execute(text("select 1"))
        self.db.rollback()


def slim(result: Result, sub: Submission) -> dict:
    """What the pipeline keeps of a result for its report (JSON): the result's summary and
    the submission's lateness and intake notes."""
    return {**result.summary(), "lms_late": sub.lms_late, "lateness": sub.lateness, "intake_notes": sub.notes}


class Locked(Exception):
    """Another run grades this assignment into this gradebook now."""


class RunLock:
    """One grading run per assignment and gradebook at a time. On PostgreSQL a session
    advisory lock (released by the server when the holder's connection ends, even if its
    process is killed) with the holder's name in ``cnnbook_run``; on SQLite an advisory
    lock on a file beside the database, which holds the name. The second run is refused
    with the first one's name."""

    def __init__(self, db_url: str, assignment: str, holder: str):
        from sqlalchemy import create_engine
        self.assignment, self.holder = assignment, holder
        self.engine = create_engine(db_url)
        self.conn = self.file = None
        self.key = int.from_bytes(hashlib.sha256(f"cnnbook-grade {assignment}".encode()).digest()[:8], "big",
                                  signed=True)

    def acquire(self) -> "RunLock":
        url = self.engine.url
        if url.get_backend_name() == "postgresql":
            metadata.create_all(self.engine, tables=[RUNS])
            self.conn = self.engine.connect()
            if not self.conn.execute(text("select pg_try_advisory_lock(:k)"), {"k": self.key}).scalar():
                row = self.conn.execute(select(RUNS).where(RUNS.c.assignment == self.assignment)).mappings().first()
                self.conn.rollback()
                self.release()
                raise Locked(self._refusal(row["holder"] if row else "another run",
                                           row["started"] if row else None))
            self.conn.execute(RUNS.delete().where(RUNS.c.assignment == self.assignment))
            self.conn.execute(RUNS.insert().values(assignment=self.assignment, holder=self.holder,
                                                   started=datetime.now(timezone.utc)))
            self.conn.commit()
        elif url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            import fcntl
            path = Path(url.database).with_name(Path(url.database).name + f".{self.assignment}.lock")
            path.parent.mkdir(parents=True, exist_ok=True)
            self.file = open(path, "a+", encoding="utf-8")
            try:
                fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.file.seek(0)
                first = self.file.read().strip().split("\t")
                self.file.close()
                self.file = None
                raise Locked(self._refusal(first[0] or "another run", first[1] if len(first) > 1 else None)) from None
            self.file.seek(0)
            self.file.truncate()
            self.file.write(f"{self.holder}\t{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC")
            self.file.flush()
        return self

    def _refusal(self, holder: str, started) -> str:
        since = f" since {started:%Y-%m-%d %H:%M:%S} UTC" if isinstance(started, datetime) else \
            (f" since {started}" if started else "")
        return (f"{holder} is grading {self.assignment} into this gradebook{since}; wait for it to finish "
                "or stop it (a stopped run lets go of the gradebook), then run this command again")

    def release(self) -> None:
        if self.conn is not None:
            try:
                self.conn.execute(text("select pg_advisory_unlock_all()"))
                self.conn.close()
            except Exception:  # the server is gone, and the lock with the session
                pass
            self.conn = None
        if self.file is not None:
            self.file.close()  # closing the file lets go of its lock
            self.file = None
        self.engine.dispose()

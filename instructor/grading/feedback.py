"""The students' feedback, written by nbgrader from the autograded notebooks and the
gradebook (nbgrader_config.py leaves the hidden tests out of it). Runs in a worker."""

from __future__ import annotations

from pathlib import Path

_apis: dict = {}


def generate_feedback(course: str, db_url: str, assignment: str, student: str) -> str:
    """nbgrader's feedback for one student; returns the student's id."""
    key = (course, db_url)
    if key not in _apis:
        from nbgrader.apps import NbGraderAPI

        from instructor import release
        config = release.nbgrader_config(Path(course))
        config.CourseDirectory.db_url = db_url
        _apis[key] = NbGraderAPI(config=config)
    result = _apis[key].generate_feedback(assignment, student, force=True)
    if not result["success"]:
        raise RuntimeError(f"nbgrader generate_feedback failed for {student}:\n{result.get('log')}")
    return student

"""Instructor-only code: reference implementations, hidden tests, and the scripts that
regenerate the student notebooks, the expected arrays and the student bundle.

Nothing in here goes into the student bundle.
"""

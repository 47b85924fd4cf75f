"""Public test suites, one module per assignment; each registers its checks on import."""
from cnnbook.suites import assignment1, assignment2, assignment3  # noqa: F401

"""Public test suites, one module per assignment; each registers its checks on import."""
from cnnbook.suites import assignment1  # noqa: F401

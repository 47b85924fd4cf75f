"""Shared code of the CNN workbook: the checker behind the public and graded tests,
and the stored expected arrays those tests compare against."""

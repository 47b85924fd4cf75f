"""python -m instructor.grading ...: the same as cnnbook-grade."""

import sys

from instructor.grading.cli import main

sys.exit(main())

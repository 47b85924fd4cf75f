"""Where the workbook lives: the one definition of the repository's root folder."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

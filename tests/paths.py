"""Where the test suite's shared files live, so a test can move folder without breaking."""

from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent
REFERENCE_DIR = TESTS_DIR / "reference"
FIXTURES_DIR = TESTS_DIR / "fixtures"

"""`./dev test` ends with the tests that failed, whatever the test process printed after them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from deploy.cli import recap_of_failures

FAILING_SUITE = """
def test_passes():
    assert True

def test_fails():
    assert 1 + 1 == 3, "arithmetic broke"
"""


def test_the_recap_names_each_failed_test_and_why(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(FAILING_SUITE)
    results = tmp_path / "results.xml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junit-xml={results}",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    recap = recap_of_failures(results).splitlines()
    assert recap[0] == "Acorn tests: 1 failed"
    assert recap[1].startswith("  test_sample::test_fails: AssertionError: arithmetic broke")


def test_a_run_that_wrote_no_results_says_so(tmp_path: Path) -> None:
    assert "before any test result" in recap_of_failures(tmp_path / "missing.xml")

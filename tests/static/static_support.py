"""Shared helpers of the static tier: paths, and running a tool as a subprocess.

Imported by the test modules as ``static_support`` (``conftest.py`` puts this folder on
``sys.path``, whatever pytest's import mode).
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ADDON = REPO / "shopify_stock_sync"
# Odoo 19's view schemas, never copied into the repository (see addon_checks.py)
RNG_DIR = REPO.parent / "shared" / "odoo19" / "rng"


def tool(name):
    """The console script `name` of the running interpreter's environment."""
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        pytest.fail(
            f"{name} is not installed: pip install -r tests/requirements.txt",
            pytrace=False,
        )
    return found


def run(cmd, cwd=REPO, timeout=600):
    """Run `cmd`; return (returncode, combined output with the command line)."""
    proc = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    shown = " ".join(str(c) for c in cmd)
    output = (
        f"$ {shown}\n(cwd {cwd}, exit {proc.returncode})\n{proc.stdout}{proc.stderr}"
    )
    return proc.returncode, output


def assert_ok(cmd, cwd=REPO, timeout=600):
    """Run `cmd` and fail with its whole output unless it exits 0."""
    rc, output = run(cmd, cwd=cwd, timeout=timeout)
    assert rc == 0, output
    return output

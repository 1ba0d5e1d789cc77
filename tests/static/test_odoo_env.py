"""tests/odoo_env.sh: where the Odoo 19 of the tests and the sandbox comes from.

The functions are run by bash against small fake source trees (the real build is the
odoo tier's own first step); the tier itself is run only where it stops before Odoo.
"""

import subprocess
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RELEASE_19 = "version_info = (19, 0, 0, FINAL, 0, '')\n"


def bash(script: str, repo: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Source tests/odoo_env.sh with ``repo`` as the checkout, then run ``script``."""
    return subprocess.run(
        ["bash", "-c", f'repo={repo}; . "{REPO}/tests/odoo_env.sh"; {script}'],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(repo), **env},
        check=False,
    )


def fake_odoo(root: Path, release: str = RELEASE_19) -> Path:
    (root / "odoo").mkdir(parents=True)
    (root / "odoo-bin").write_text("#!/usr/bin/env python3\n")
    (root / "odoo" / "release.py").write_text(release)
    (root / "requirements.txt").write_text("lxml==5.2.1\n")
    return root


def test_requirements_as_the_runtime_installs_them(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        "psycopg2==2.9.5 ; python_version == '3.11'\n"
        "psycopg2-binary==9.9\n"
        "python-ldap==3.4.0 ; sys_platform != 'win32'\n"
        "python-ldapx==1.0\n"
        "gevent==22.10.2; sys_platform != 'win32'\n"
        "greenlet==2.0.2 ; python_version > '3.10'\n"
        "Werkzeug==2.2.2 ; python_version > '3.10'\n"
    )
    done = bash(f"odoo_requirements {requirements}", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "psycopg2-binary==2.9.5 ; python_version == '3.11'",
        "psycopg2-binary==9.9",
        "python-ldapx==1.0",
        "Werkzeug==2.2.2 ; python_version > '3.10'",
    ]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "nowhere", "is neither a directory, a .tar.* file"),
        (lambda tmp: tmp / "missing.tar.xz", "no file"),
        (lambda tmp: (tmp / "empty").mkdir() or tmp / "empty", "holds no Odoo tree"),
        (
            lambda tmp: fake_odoo(tmp / "v18", "version_info = (18, 0, 0)\n"),
            "is not Odoo 19.0",
        ),
    ],
)
def test_a_source_that_is_not_odoo_19_is_named(tmp_path, make, message):
    spec = make(tmp_path)
    done = bash(
        'odoo_source || echo "error: $odoo_error"', tmp_path, ODOO_SRC=str(spec)
    )
    assert "error: " in done.stdout and message in done.stdout, done


def test_a_directory_is_used_in_place(tmp_path):
    tree = fake_odoo(tmp_path / "odoo-19.0")
    done = bash(
        'odoo_source && echo "$odoo_src|$odoo_src_id"', tmp_path, ODOO_SRC=str(tree)
    )
    src, src_id = done.stdout.strip().split("|")
    assert src == str(tree) and src_id.startswith(f"dir {tree} "), done


def test_a_tarball_is_unpacked_once_into_the_cache(tmp_path):
    tree = fake_odoo(tmp_path / "build" / "odoo-19.0")
    tarball = tmp_path / "odoo-19.0-test.tar.gz"
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(tree, arcname="odoo-19.0")
    script = 'odoo_source && echo "$odoo_src|$odoo_src_id"'
    first = bash(script, tmp_path, ODOO_SRC=str(tarball))
    src, src_id = first.stdout.strip().split("|")
    assert src == str(tmp_path / ".cache" / "odoo19" / "src" / "odoo-19.0"), first
    assert src_id.startswith("tar ") and "unpacking" in first.stderr
    second = bash(script, tmp_path, ODOO_SRC=str(tarball))
    assert second.stdout == first.stdout and "unpacking" not in second.stderr


def test_odoo_python_names_what_does_not_run_odoo(tmp_path):
    done = bash(
        'odoo_python || echo "error: $odoo_error"', tmp_path, ODOO_PYTHON="/bin/true"
    )
    assert "error: ODOO_PYTHON=/bin/true does not import Odoo 19" in done.stdout


def test_the_tier_fails_without_odoo_and_skips_only_when_told(tmp_path):
    tier = [str(REPO / "tests" / "odoo_tier.sh")]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    failed = subprocess.run(
        ["bash", *tier],
        capture_output=True,
        text=True,
        env={**env, "ODOO_SRC": str(tmp_path / "nowhere")},
        check=False,
    )
    assert failed.returncode == 1
    assert (
        failed.stdout.strip()
        .splitlines()[-1]
        .startswith("odoo: failed: no Odoo 19: ODOO_SRC: ")
    )
    skipped = subprocess.run(
        ["bash", *tier],
        capture_output=True,
        text=True,
        env={**env, "SKIP_ODOO": "1"},
        check=False,
    )
    assert skipped.returncode == 0
    assert skipped.stdout.startswith("odoo: skipped on purpose (SKIP_ODOO=1)")

"""The static tier: each tool runs on the repository as a subprocess and must pass.

Every test shows the tool's whole output when it fails.  The tools are those pinned in
tests/requirements.txt, with the configuration committed at the repository root
(.ruff.toml, .pylintrc-mandatory); none of them may modify a file here.  Where a
passing run could also mean "the tool checked nothing", a second test feeds it a
small bad addon and expects it to fail.
"""

import sys
import zipfile

import pytest
from static_support import ADDON, REPO, assert_ok, run

PY = sys.executable


def write(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


# -- ruff ------------------------------------------------------------------------------
def test_ruff_check():
    # .ruff.toml says fix = true: never let the test rewrite anybody's file
    assert_ok([PY, "-m", "ruff", "check", "--no-fix", "--no-cache", "."])


def test_ruff_format():
    assert_ok([PY, "-m", "ruff", "format", "--check", "--no-cache", "."])


def test_ruff_config_catches_print_and_requests_without_timeout(tmp_path):
    bad = write(
        tmp_path,
        {"bad.py": 'import requests\n\nprint(requests.get("https://example.com"))\n'},
    )
    rc, output = run(
        [
            PY,
            *("-m", "ruff", "check", "--no-fix", "--no-cache"),
            *("--config", REPO / ".ruff.toml", bad / "bad.py"),
        ]
    )
    assert rc == 1, output
    assert "T201" in output and "S113" in output, output


# -- pylint-odoo -----------------------------------------------------------------------
PYLINT = [PY, "-m", "pylint", "--rcfile=.pylintrc-mandatory", "--output-format=text"]


def test_pylint_odoo_mandatory():
    assert_ok([*PYLINT, "shopify_stock_sync"])


def test_pylint_odoo_rc_loads_the_plugin_and_our_author(tmp_path):
    # a manifest with OCA's author instead of ours, and a print(): both mandatory
    addon = write(
        tmp_path / "other_addon",
        {
            "__init__.py": "",
            "__manifest__.py": (ADDON / "__manifest__.py")
            .read_text(encoding="utf-8")
            .replace(
                '"shopify_stock_sync contributors"',
                '"Odoo Community Association (OCA)"',
            ),
            "README.rst": "Other\n=====\n",
            "hello.py": 'print("hello")\n',
        },
    )
    rc, output = run([*PYLINT, addon], cwd=REPO)
    assert rc != 0, output
    assert "manifest-required-author" in output, output
    assert "shopify_stock_sync contributors" in output, output
    assert "print-used" in output, output


# -- OCA module checks -----------------------------------------------------------------
def test_oca_checks_odoo_module():
    assert_ok([PY, "-m", "oca_pre_commit_hooks", ADDON])


def test_oca_checks_odoo_module_bites(tmp_path):
    addon = write(
        tmp_path / "other_addon",
        {
            "__init__.py": "",
            "__manifest__.py": '{"name": "Other", "version": "19.0.1.0.0",'
            ' "license": "LGPL-3", "data": ["views.xml"]}\n',
            "views.xml": '<?xml version="1.0" encoding="utf-8"?>\n'
            "<odoo><data><record model='res.partner'>"
            "<field name='name'>x</field></record></data></odoo>\n",
        },
    )
    rc, output = run([PY, "-m", "oca_pre_commit_hooks", addon])
    assert rc != 0, output
    assert "xml-deprecated-data-node" in output, output


# -- whool -----------------------------------------------------------------------------
def test_whool_builds_the_addon_wheel(tmp_path):
    # pip is the build frontend; whool (installed here) is the backend the addon's
    # pyproject.toml names; nothing is fetched (--no-index, no build isolation)
    assert_ok(
        [
            *(PY, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"),
            *("--no-index", "--disable-pip-version-check", "--wheel-dir", tmp_path),
            ADDON,
        ]
    )
    wheels = sorted(tmp_path.glob("*.whl"))
    assert len(wheels) == 1, wheels
    assert wheels[0].name.startswith("odoo_addon_shopify_stock_sync-19.0."), wheels
    assert wheels[0].name.endswith("-py3-none-any.whl"), wheels
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = wheel.namelist()
        metadata = next(
            wheel.read(n).decode() for n in names if n.endswith(".dist-info/METADATA")
        )
    assert "odoo/addons/shopify_stock_sync/__manifest__.py" in names
    assert "odoo/addons/shopify_stock_sync/engine/__init__.py" in names
    assert not [n for n in names if n.endswith("pyproject.toml")], names
    # dependencies come from the manifest: depends and external_dependencies
    assert "Requires-Dist: odoo==19.0.*" in metadata, metadata
    assert "Requires-Dist: odoo-addon-queue_job==19.0.*" in metadata, metadata
    assert "Requires-Dist: requests" in metadata, metadata
    assert "License: LGPL-3" in metadata, metadata


# -- README rendering ------------------------------------------------------------------
@pytest.mark.parametrize(
    "readme", ["README.rst", "shopify_stock_sync/README.rst"], ids=["root", "addon"]
)
def test_readme_renders_without_warning(tmp_path, readme):
    assert (REPO / readme).is_file(), f"{readme} is missing"
    assert_ok([PY, "-m", "docutils", "--halt=warning", readme, tmp_path / "out.html"])
    assert (tmp_path / "out.html").stat().st_size > 0


def test_docutils_halts_on_a_warning(tmp_path):
    # the option the two tests above rely on really turns a warning into a failure
    bad = write(tmp_path, {"bad.rst": "Title\n===\n\nSee `nowhere`_.\n"})
    rc, output = run(
        [PY, "-m", "docutils", "--halt=warning", bad / "bad.rst", tmp_path / "o.html"]
    )
    assert rc != 0, output


# -- the project's own checker ---------------------------------------------------------
def test_addon_checks_pass_on_our_addon():
    output = assert_ok([PY, REPO / "tests" / "static" / "addon_checks.py"])
    assert "checked shopify_stock_sync:" in output
    assert "0 problem(s)" in output

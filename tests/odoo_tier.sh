#!/usr/bin/env bash
# The odoo tier of tests/run.sh: the addon installed and tested in a real Odoo 19.
# The steps are the functions of tests/odoo_env.sh (shared with run.sh and the benchmarks).
#
#   1. a Python running Odoo 19: $ODOO_PYTHON when set, else the runtime the project
#      builds (once, again only when its inputs change) under .cache/odoo19 from ODOO_SRC
#      (default: the Odoo 19.0 tarball of ../shared/odoo19/src);
#   2. the test packages of tests/requirements-odoo.txt at their exact versions, and
#      queue_job 19.0 in .cache/odoo-addons;
#   3. a throwaway PostgreSQL cluster on a free port of 127.0.0.1 (removed on exit);
#   4. install shopify_stock_sync (with stock and queue_job) in a new database, and fail on
#      any WARNING, ERROR or CRITICAL line in Odoo's log;
#   5. run shopify_stock_sync/tests with pytest-odoo against that database (or the pytest
#      arguments given: `bash tests/odoo_tier.sh shopify_stock_sync/tests/test_shop.py`).
#
# The tier never skips by itself: without an Odoo 19 it fails and says why.  SKIP_ODOO=1
# skips it on purpose, and the last line says so.
# Last line: "odoo: N passed, M failed, K skipped" (or the reason it failed or was skipped).
# Exits non-zero when the install or a test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd -P)

addon=shopify_stock_sync
db=${addon}_test
db_role=odoo
# shellcheck source=tests/odoo_env.sh
. tests/odoo_env.sh

fail() {
    echo "odoo: failed: $*"
    exit 1
}

if [ -n "${SKIP_ODOO:-}" ]; then
    echo "odoo: skipped on purpose (SKIP_ODOO=$SKIP_ODOO): no Odoo test ran"
    exit 0
fi

# --- 1. Odoo 19, 2. its test packages -------------------------------------------------------

start=$SECONDS
odoo_python || fail "no Odoo 19: $odoo_error"
odoo_test_packages || fail "$odoo_error"
odoo_core_addons || fail "the Odoo 19 of $py has no 'stock' addon"
echo "odoo: using $py (Odoo $(cd / && "$py" -c 'import odoo.release as r; print(r.version)'), ready in $((SECONDS - start)) s)"

# Everything of this run (cluster, filestore, logs) lives in $work, removed on exit.
work=$(mktemp -d "${TMPDIR:-/tmp}/odoo-tier.XXXXXX")
chmod 711 "$work" # the cluster's owner must reach $work/pg
pg_dir=$work/pg
cleanup() {
    pg_cluster_stop "$pg_dir"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE

addons_path=$odoo_addons,$queue_job_dir,$repo

# --- 3. a throwaway PostgreSQL cluster on 127.0.0.1 -----------------------------------------

pg_cluster_start "$pg_dir" "$db_role" || fail "$pg_error"

# One configuration for the install and for pytest-odoo, so that no ~/.odoorc leaks in.
# No demo data: Odoo 19 installs none unless asked (--with-demo).
cat >"$work/odoo.conf" <<EOF
[options]
db_host = 127.0.0.1
db_port = $port
db_user = $db_role
addons_path = $addons_path
data_dir = $work/data
http_interface = 127.0.0.1
EOF

# --- 4. install the addon, no WARNING allowed ----------------------------------------------

# Odoo writes "Running as user 'root' is a security risk." straight to stderr (not a log
# record, so not in the log file); stderr is kept apart and checked the same way.
install_log=$work/install.log
start=$SECONDS
rc=0
(cd / && "$py" -m odoo server -c "$work/odoo.conf" -d "$db" -i "$addon" --stop-after-init \
    --logfile="$install_log") >"$work/install.stderr" 2>&1 || rc=$?
record='^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) '
bad=$(cat "$install_log" "$work/install.stderr" 2>/dev/null | grep -E "$record" || true)
if [ -n "$bad" ]; then
    echo "$bad"
    fail "install of $addon logged $(grep -c . <<<"$bad") WARNING/ERROR/CRITICAL line(s) (above)"
fi
if [ "$rc" -ne 0 ] || ! grep -q "Modules loaded" "$install_log" 2>/dev/null; then
    tail -n 40 "$install_log" "$work/install.stderr" 2>/dev/null || true
    fail "install of $addon (exit $rc, log tail above)"
fi
echo "odoo: install ok (no WARNING in log)"
echo "odoo: install of $addon, stock and queue_job took $((SECONDS - start)) s"

# --- 5. the addon's tests with pytest-odoo -------------------------------------------------

# Our own pytest.ini: the repository's belongs to the plain-Python tiers.  The repository
# root on sys.path: the addon's tests start the Shopify simulator (tests.simulator).
printf '[pytest]\npythonpath = %s\naddopts = -p no:cacheprovider\n' "$repo" >"$work/pytest.ini"
pytest_log=$work/pytest.log
rc=0
"$py" -m pytest -c "$work/pytest.ini" --rootdir="$repo" -p odoo -ra --odoo-http \
    --odoo-config="$work/odoo.conf" --odoo-database="$db" --odoo-addons-path="$addons_path" \
    "${@:-$addon/tests}" >"$pytest_log" 2>&1 || rc=$?

summary=$(grep -E '[0-9]+ (passed|failed|errors?|skipped)|no tests ran' "$pytest_log" | tail -n 1 || true)
count() { grep -oE "[0-9]+ $1" <<<"$summary" | grep -oE '[0-9]+' || echo 0; }
passed=$(count passed)
failed=$(($(count failed) + $(count 'errors?')))
skipped=$(count skipped)

if [ "$rc" -eq 5 ]; then
    cat "$pytest_log"
    fail "pytest collected no test in $addon/tests (the addon must have Odoo tests)"
fi
if [ "$rc" -ne 0 ]; then
    cat "$pytest_log"
    [ "$failed" -gt 0 ] || failed=1
elif [ "$passed" -eq 0 ]; then
    cat "$pytest_log"
    fail "pytest passed without running a test"
fi
echo "odoo: $passed passed, $failed failed, $skipped skipped"
[ "$rc" -eq 0 ]

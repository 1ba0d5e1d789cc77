#!/usr/bin/env bash
# The odoo tier of tests/run.sh: the addon installed and tested in a real Odoo 19.
#
#   1. find a Python that imports Odoo 19 ($ODOO_PYTHON, python3, or the interpreter of the
#      `odoo` script on PATH); without one, say so on one line and exit 0;
#   2. fetch queue_job 19.0 into .cache/odoo-addons (once) and make sure that Python has
#      pytest-odoo, openupgradelib and graphql-core (the Shopify simulator of tests/,
#      which the addon's tests run against);
#   3. start a throwaway PostgreSQL cluster on a free port of 127.0.0.1 (removed on exit);
#   4. install shopify_stock_sync (with stock and queue_job) in a new database, and fail on
#      any WARNING, ERROR or CRITICAL line in Odoo's log;
#   5. run shopify_stock_sync/tests with pytest-odoo against that database.
#
# Last line: "odoo: N passed, M failed, K skipped" (or the reason it failed or was skipped).
# Exits non-zero when the install or a test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd -P)

addon=shopify_stock_sync
db=${addon}_test
db_role=odoo
queue_job_spec='odoo-addon-queue-job==19.0.*'
pytest_odoo_spec='pytest-odoo==2.3.0'
# the simulator's GraphQL engine, pinned as for the plain-Python tiers
graphql_spec=$(grep -E '^graphql-core==' tests/requirements.txt || echo graphql-core)
addons_cache=$repo/.cache/odoo-addons

fail() {
    echo "odoo: failed: $*"
    exit 1
}

# --- 1. an importable Odoo 19 --------------------------------------------------------------

is_odoo19() {
    [ -n "$1" ] && command -v "$1" >/dev/null 2>&1 &&
        (cd / && "$1" -c 'import sys, odoo.release as r; sys.exit(tuple(r.version_info[:2]) != (19, 0))') \
            >/dev/null 2>&1
}

# The interpreter named by the shebang of the `odoo` script on PATH ("#!/usr/bin/env python3"
# gives python3).
odoo_script_python() {
    local script shebang
    script=$(command -v odoo 2>/dev/null) || return 0
    IFS= read -r shebang <"$script" || return 0
    case $shebang in
    '#!'*) ;;
    *) return 0 ;;
    esac
    read -r -a shebang <<<"${shebang#\#!}"
    if [ "${shebang[0]##*/}" = env ] && [ "${#shebang[@]}" -gt 1 ]; then
        echo "${shebang[-1]}"
    else
        echo "${shebang[0]}"
    fi
}

py=
for candidate in "${ODOO_PYTHON:-}" python3 "$(odoo_script_python)"; do
    if is_odoo19 "$candidate"; then
        py=$(command -v "$candidate")
        break
    fi
done
if [ -z "$py" ]; then
    echo "odoo: skipped: no Odoo 19 importable (set ODOO_PYTHON or put an Odoo 19 'odoo' script on PATH)"
    exit 0
fi

# Odoo's own addons (stock ...): <source>/addons beside the odoo package, or, for packaged
# installs, odoo/addons itself.
odoo_addons=$(cd / && "$py" - <<'EOF'
import os, odoo.addons, odoo.release
root = os.path.dirname(os.path.dirname(os.path.abspath(odoo.release.__file__)))
for path in [os.path.join(root, "addons"), *odoo.addons.__path__]:
    if os.path.isfile(os.path.join(path, "stock", "__manifest__.py")):
        print(path)
        break
EOF
)
[ -n "$odoo_addons" ] || fail "the Odoo 19 of $py has no 'stock' addon"
echo "odoo: using $py (Odoo $(cd / && "$py" -c 'import odoo.release as r; print(r.version)'))"

# Everything of this run (cluster, filestore, logs) lives in $work, removed on exit.
work=$(mktemp -d "${TMPDIR:-/tmp}/odoo-tier.XXXXXX")
chmod 711 "$work" # the cluster's owner must reach $work/pg
pg_dir=$work/pg
pg_bin=
as_pg=()
cleanup() {
    if [ -f "$pg_dir/data/postmaster.pid" ]; then
        "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE

# --- 2. queue_job 19.0, pytest-odoo, openupgradelib, graphql-core ---------------------------

pip_log=$work/pip.log

queue_job_dir=$addons_cache/odoo/addons
if ! grep -qs '"version": "19\.0\.' "$queue_job_dir/queue_job/__manifest__.py"; then
    rm -rf "$addons_cache"
    "$py" -m pip install --no-deps --target "$addons_cache" "$queue_job_spec" >"$pip_log" 2>&1 ||
        { cat "$pip_log"; fail "could not install $queue_job_spec into .cache/odoo-addons"; }
fi

if ! (cd / && "$py" -c 'import pytest_odoo, openupgradelib') >/dev/null 2>&1; then
    "$py" -m pip install "$pytest_odoo_spec" openupgradelib >"$pip_log" 2>&1 ||
        { cat "$pip_log"; fail "could not install $pytest_odoo_spec and openupgradelib for $py"; }
fi

if ! (cd / && "$py" -c 'import graphql') >/dev/null 2>&1; then
    "$py" -m pip install "$graphql_spec" >"$pip_log" 2>&1 ||
        { cat "$pip_log"; fail "could not install $graphql_spec for $py"; }
fi

addons_path=$odoo_addons,$queue_job_dir,$repo

# --- 3. a throwaway PostgreSQL cluster on 127.0.0.1 -----------------------------------------

for dir in "$(pg_config --bindir 2>/dev/null || true)" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV) \
    "$(dirname "$(command -v initdb 2>/dev/null || echo .)")"; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
        pg_bin=$dir
        break
    fi
done
[ -n "$pg_bin" ] || fail "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found"

# initdb refuses root: the cluster then belongs to the 'postgres' OS user.
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || fail "running as root and there is no 'postgres' user to own the cluster"
    runuser=$(PATH=$PATH:/usr/sbin:/sbin command -v runuser) || fail "running as root and no runuser"
    as_pg=("$runuser" -u postgres --)
fi

mkdir "$pg_dir"
[ ${#as_pg[@]} -eq 0 ] || chown postgres: "$pg_dir"
port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
locale_opt=--no-locale
if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale_opt=--locale=C.UTF-8; fi
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 "$locale_opt" \
    >"$pg_dir/initdb.log" 2>&1 || { cat "$pg_dir/initdb.log"; fail "initdb"; }
# TCP on 127.0.0.1 only, no Unix socket; durability off (the cluster is thrown away).
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories= -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$pg_dir/server.log"; fail "PostgreSQL did not start"; }
# Odoo refuses the 'postgres' role: it connects as its own (trust, loopback only).
"$pg_bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE $db_role LOGIN SUPERUSER" >/dev/null || fail "could not create the role $db_role"

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
    "$addon/tests" >"$pytest_log" 2>&1 || rc=$?

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

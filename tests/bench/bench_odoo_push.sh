#!/usr/bin/env bash
# Benchmark of the Odoo → Shopify push inside a real Odoo 19 (see bench_odoo_push.py).
#
#   bash tests/bench/bench_odoo_push.sh [bench_odoo_push.py options, e.g. --sizes 1000]
#
# Like tests/odoo_tier.sh: finds a Python that imports Odoo 19 ($ODOO_PYTHON, python3, or
# the interpreter of the `odoo` script on PATH), starts a throwaway PostgreSQL cluster on
# 127.0.0.1 (removed on exit), installs shopify_stock_sync with stock and queue_job
# (from .cache/odoo-addons, fetched by the odoo tier) in a new database, then runs
# bench_odoo_push.py against it.  Slow (minutes); not part of tests/run.sh.
# The addon benchmarked is the one committed at HEAD (git archive), so that work in
# progress in the tree cannot break or skew a run; BENCH_ADDON=worktree takes the tree.
# BENCH_KEEP=1 keeps the work directory (odoo.conf, runner.log) instead of removing it.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd -P)
db=shopify_stock_sync_bench
queue_job_dir=$repo/.cache/odoo-addons/odoo/addons

fail() {
    echo "bench: failed: $*"
    exit 1
}

is_odoo19() {
    [ -n "$1" ] && command -v "$1" >/dev/null 2>&1 &&
        (cd / && "$1" -c 'import sys, odoo.release as r; sys.exit(tuple(r.version_info[:2]) != (19, 0))') \
            >/dev/null 2>&1
}
odoo_script_python() {
    local script shebang
    script=$(command -v odoo 2>/dev/null) || return 0
    IFS= read -r shebang <"$script" || return 0
    case $shebang in '#!'*) ;; *) return 0 ;; esac
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
[ -n "$py" ] || fail "no Odoo 19 importable (set ODOO_PYTHON or put an Odoo 19 'odoo' script on PATH)"
grep -qs '"version": "19\.0\.' "$queue_job_dir/queue_job/__manifest__.py" ||
    fail "no queue_job 19.0 in .cache/odoo-addons: run 'bash tests/odoo_tier.sh' once"
(cd / && "$py" -c 'import graphql') >/dev/null 2>&1 || fail "$py has no graphql-core (run the odoo tier once)"
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

work=$(mktemp -d "${TMPDIR:-/tmp}/odoo-bench.XXXXXX")
chmod 711 "$work"
pg_dir=$work/pg
pg_bin=
as_pg=()
cleanup() {
    if [ -f "$pg_dir/data/postmaster.pid" ]; then
        "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ -n "${BENCH_KEEP:-}" ]; then echo "bench: kept $work (logs)"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for dir in "$(pg_config --bindir 2>/dev/null || true)" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV) \
    "$(dirname "$(command -v initdb 2>/dev/null || echo .)")"; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
        pg_bin=$dir
        break
    fi
done
[ -n "$pg_bin" ] || fail "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found"
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || fail "running as root and there is no 'postgres' user to own the cluster"
    runuser=$(PATH=$PATH:/usr/sbin:/sbin command -v runuser) || fail "running as root and no runuser"
    as_pg=("$runuser" -u postgres --)
fi
addon_root=$repo
if [ "${BENCH_ADDON:-head}" != worktree ] && git -C "$repo" rev-parse --verify -q HEAD >/dev/null; then
    addon_root=$work/addon
    mkdir "$addon_root"
    git -C "$repo" archive HEAD shopify_stock_sync | tar -x -C "$addon_root"
    echo "bench: addon of commit $(git -C "$repo" rev-parse --short HEAD)"
fi
free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
mkdir "$pg_dir"
[ ${#as_pg[@]} -eq 0 ] || chown postgres: "$pg_dir"
port=$(free_port)
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --no-locale \
    >"$pg_dir/initdb.log" 2>&1 || { cat "$pg_dir/initdb.log"; fail "initdb"; }
# durability off as in the odoo tier: the cluster is thrown away (numbers are the same
# order as with fsync on only for the CPU side; commits are cheaper here)
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories= -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$pg_dir/server.log"; fail "PostgreSQL did not start"; }
"$pg_bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE odoo LOGIN SUPERUSER" >/dev/null || fail "could not create the role odoo"

# The job runner's part (bench_odoo_push.py --runner-seconds) starts `odoo server` on
# these ports, 127.0.0.1 only; queue_job reads its channels from here.
cat >"$work/odoo.conf" <<EOF
[options]
db_host = 127.0.0.1
db_port = $port
db_user = odoo
db_name = $db
dbfilter = ^$db\$
list_db = False
addons_path = $odoo_addons,$queue_job_dir,$addon_root
data_dir = $work/data
http_interface = 127.0.0.1
http_port = $(free_port)
gevent_port = $(free_port)
max_cron_threads = 0
server_wide_modules = base,rpc,web,queue_job

[queue_job]
channels = root:2
EOF

echo "bench: Odoo $(cd / && "$py" -c 'import odoo.release as r; print(r.version)'), installing shopify_stock_sync"
start=$SECONDS
(cd / && "$py" -m odoo server -c "$work/odoo.conf" -d "$db" -i shopify_stock_sync --stop-after-init \
    --logfile="$work/install.log") >"$work/install.stderr" 2>&1 ||
    { tail -n 30 "$work/install.log" "$work/install.stderr"; fail "install"; }
echo "bench: installed in $((SECONDS - start)) s"
(cd / && "$py" "$repo/tests/bench/bench_odoo_push.py" --config "$work/odoo.conf" --db "$db" "$@")

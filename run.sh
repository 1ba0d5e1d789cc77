#!/usr/bin/env bash
# The main job: the addon in a sandbox, or the read-only stock audit.
#
#   bash run.sh                  Odoo 19 with shopify_stock_sync and a sandbox shop (the
#                                bundled Shopify simulator), served on 127.0.0.1:8069
#   bash run.sh --port 8080      the same on another port (--sim-port for the simulator's)
#   bash run.sh --reset          start the sandbox over (new database, new shop)
#   bash run.sh audit [options]  the stock audit: an Odoo stock export against a shop's
#                                levels, read only (bash run.sh audit --help)
#
# The sandbox keeps its PostgreSQL cluster, database and shop under .cache/sandbox
# (--data-dir to choose), so a second run reuses them; everything listens on loopback only
# and stops on Ctrl-C.  Odoo comes from ODOO_PYTHON, or the runtime the project builds
# under .cache/odoo19 (tests/odoo_env.sh), the first time in a few minutes.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)

if [ "${1:-}" = audit ]; then
    shift
    (
        cd "$root"
        . tests/venv.sh
        ensure_venv
    )
    PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" exec "$root/.venv/bin/python" \
        -m shopify_stock_sync.engine audit "$@"
fi

usage() {
    sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

odoo_port=8069
sim_port=
reset=
data_dir=$root/.cache/sandbox
while [ $# -gt 0 ]; do
    case $1 in
    --port) odoo_port=${2:?--port needs a number}; shift 2 ;;
    --sim-port) sim_port=${2:?--sim-port needs a number}; shift 2 ;;
    --data-dir) data_dir=${2:?--data-dir needs a directory}; shift 2 ;;
    --reset) reset=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
for value in "$odoo_port" "${sim_port:-1}"; do
    [[ $value =~ ^[0-9]+$ ]] && [ "$value" -ge 1 ] && [ "$value" -le 65535 ] ||
        { echo "run.sh: '$value' is not a TCP port (1-65535)" >&2; exit 2; }
done

cd "$root"
repo=$root
# shellcheck source=tests/odoo_env.sh
. tests/odoo_env.sh

say() { echo "sandbox: $*"; }
fail() {
    echo "sandbox: failed: $*" >&2
    exit 1
}

db=shopify_sandbox
addon=shopify_stock_sync

[ -n "${ODOO_PYTHON:-}" ] || [ -f "$repo/.cache/odoo19/venv/.stamp" ] ||
    say "building Odoo 19 under .cache/odoo19, once: a few minutes ..."
odoo_python || fail "no Odoo 19: $odoo_error"
odoo_test_packages || fail "$odoo_error"
odoo_core_addons || fail "the Odoo 19 of $py has no 'stock' addon"

port_free() {
    "$py" -c 'import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
}
port_free "$odoo_port" || fail "port $odoo_port of 127.0.0.1 is taken: stop what uses it, or pass --port N"
[ -z "$sim_port" ] || port_free "$sim_port" || fail "port $sim_port of 127.0.0.1 is taken: pass --sim-port N"
[ -n "$sim_port" ] || sim_port=$(free_port)

if [ -n "$reset" ] && [ -d "$data_dir" ]; then
    say "--reset: removing $data_dir"
    rm -rf "$data_dir"
fi
mkdir -p "$data_dir"
data_dir=$(cd "$data_dir" && pwd -P)
chmod 711 "$data_dir" # the cluster's owner (postgres, as root) must reach $data_dir/pg
log_dir=$data_dir/logs
mkdir -p "$log_dir"

sim_pid=
odoo_pid=
stopping=
stop_all() {
    [ -z "$stopping" ] || return 0
    stopping=1
    trap '' INT TERM # a second Ctrl-C must not cut the stop short (PostgreSQL last)
    say "stopping ..."
    # Odoo first (it may still call the simulator), then the simulator (it saves the shop)
    for pid in "$odoo_pid" "$sim_pid"; do
        [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || continue
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    pg_cluster_stop "$data_dir/pg" kept
    say "stopped"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- PostgreSQL, kept under the data directory ----------------------------------------------

pg_cluster_start "$data_dir/pg" odoo kept || fail "$pg_error"

# --- the sandbox shop: the Shopify simulator as its own process -----------------------------

sim_ready=$data_dir/simulator.ready
rm -f "$sim_ready"
(cd "$repo" && exec "$py" -m tests.simulator.sandbox --port "$sim_port" \
    --state "$data_dir/shop.state") >"$sim_ready" 2>"$log_dir/simulator.log" &
sim_pid=$!
for _ in $(seq 1 300); do
    [ -s "$sim_ready" ] && break
    kill -0 "$sim_pid" 2>/dev/null || { tail -n 20 "$log_dir/simulator.log" >&2; fail "the simulator stopped (log above)"; }
    sleep 0.1
done
[ -s "$sim_ready" ] || fail "the simulator was not ready in 30 s (see $log_dir/simulator.log)"
read_ready() { "$py" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$sim_ready" "$1"; }
sim_url=$(read_ready base_url)
sim_domain=$(read_ready domain)
sim_page=$(read_ready page)
sim_shop=$(read_ready shop)

# --- Odoo: its configuration, the database once, the sandbox's settings each run ------------

conf=$data_dir/odoo.conf
odoo_server_conf "$conf" "$db" "$odoo_addons,$queue_job_dir,$repo" "$data_dir/filestore" \
    "$odoo_port" 1
export SHOPIFY_STOCK_SYNC_SANDBOX="$sim_domain=$sim_url"
odoo_url=http://127.0.0.1:$odoo_port

# The addon as it is now: a database made with other code is upgraded first.
addon_stamp=$(cd "$repo" && find "$addon" -type f \( -name '*.py' -o -name '*.xml' -o -name '*.csv' \) \
    -not -path '*/tests/*' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
if [ ! -f "$data_dir/database.ready" ]; then
    say "creating the database $db (stock, queue_job, $addon): about a minute ..."
    (cd / && "$py" -m odoo server -c "$conf" -d "$db" -i "$addon" --stop-after-init \
        --logfile="$log_dir/install.log") >"$log_dir/install.stderr" 2>&1 ||
        { tail -n 30 "$log_dir/install.log" >&2; fail "the install failed (log above)"; }
    echo "$addon_stamp" >"$data_dir/addon.stamp"
elif [ "$(cat "$data_dir/addon.stamp" 2>/dev/null)" != "$addon_stamp" ]; then
    say "the addon changed since the last run: upgrading it in $db ..."
    (cd / && "$py" -m odoo server -c "$conf" -d "$db" -u "$addon" --stop-after-init \
        --logfile="$log_dir/upgrade.log") >"$log_dir/upgrade.stderr" 2>&1 ||
        { tail -n 30 "$log_dir/upgrade.log" >&2; fail "the upgrade failed (log above; --reset starts over)"; }
    echo "$addon_stamp" >"$data_dir/addon.stamp"
fi
# The setup again only when what it depends on changed: Odoo's address (the webhooks
# point at it), the simulator's shop (a new one when its state could not be read) or
# the setup itself; the simulator's address is the server's route, not the database's.
setup_stamp="$odoo_url $sim_shop $(sha256sum "$repo/sandbox/setup_odoo.py" | cut -c1-16)"
if [ "$(cat "$data_dir/setup.stamp" 2>/dev/null)" != "$setup_stamp" ]; then
    say "setting up the sandbox shop, its mappings, links and webhooks ..."
    rm -f "$data_dir/setup.stamp"
    (cd / && SANDBOX_ODOO_URL=$odoo_url PYTHONPATH=$repo "$py" -m odoo shell -c "$conf" -d "$db" \
        --no-http --logfile="$log_dir/setup.log" <"$repo/sandbox/setup_odoo.py") \
        >"$log_dir/setup.out" 2>&1 ||
        { tail -n 30 "$log_dir/setup.out" "$log_dir/setup.log" >&2; fail "the sandbox setup failed (log above)"; }
    grep -q '^sandbox-setup: done' "$log_dir/setup.out" ||
        { tail -n 30 "$log_dir/setup.out" "$log_dir/setup.log" >&2; fail "the sandbox setup did not finish (log above)"; }
    touch "$data_dir/database.ready"
    echo "$setup_stamp" >"$data_dir/setup.stamp"
fi

# --- serve ----------------------------------------------------------------------------------

(cd / && exec "$py" -m odoo server -c "$conf" --logfile="$log_dir/odoo.log") \
    >"$log_dir/odoo.stderr" 2>&1 &
odoo_pid=$!
for _ in $(seq 1 600); do
    "$py" -c 'import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "/web/health", timeout=2)' "$odoo_url" 2>/dev/null && break
    kill -0 "$odoo_pid" 2>/dev/null || { tail -n 30 "$log_dir/odoo.log" >&2; fail "Odoo stopped (log above)"; }
    sleep 0.1
done

cat <<EOF

  The sandbox is up: Odoo 19 with shopify_stock_sync, and a sandbox shop.

  Odoo              $odoo_url
                    admin / admin (administrator), operator / operator (Shopify
                    operator), warehouse / warehouse (warehouse user)
  The Shopify side  $sim_page
                    (the simulator: its locations and levels; sell a unit, set a quantity)
  Logs              $log_dir

  Three things to try:
  1. Inventory > Receipts: validate a receipt of a sandbox product into WH/Stock/Shelf A;
     within seconds the simulator's page shows the new quantity at "Main Warehouse"
     (Shopify Sync > Status > Stock Levels shows the push, > Jobs its queue job).
  2. On the simulator's page, "Sell 1" of a product at "Downtown Store" (two-way): the
     webhook reaches Odoo (Shopify Sync > Status > Webhook Events says what Odoo
     decided: a sale is not a stock correction, so Odoo's stock stays). Then change
     that product's stock on WH/Stock/Shelf B: the push sets Shopify's on hand to
     Odoo's and keeps the sold unit out of what Shopify may sell (the in-flight
     order guard).
  3. Shopify Sync > Configuration > Shops > Sandbox > Dry run: read the mismatch report
     of the run: what differs between the two sides, and what a real run would do.

  Ctrl-C stops everything; bash run.sh again reuses this sandbox, --reset starts over.
EOF
wait "$odoo_pid"

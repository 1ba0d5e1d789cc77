#!/usr/bin/env bash
# Runs a benchmark script of tests/bench inside a real Odoo 19 (e.g. bench_odoo_push.py).
#
#   bash tests/bench/bench_odoo.sh SCRIPT [its options]
#   bash tests/bench/bench_odoo.sh bench_odoo_push.py --sizes 1000 --runner-seconds 0
#
# Like tests/odoo_tier.sh (with the functions of tests/odoo_env.sh): takes the Odoo 19 of
# the odoo tier ($ODOO_PYTHON, or the runtime the project builds under .cache/odoo19) with
# its test packages and queue_job, starts a throwaway PostgreSQL cluster on 127.0.0.1
# (removed on exit), installs shopify_stock_sync with stock and queue_job in a new
# database, then runs SCRIPT (a file of tests/bench) with that Python as
# `SCRIPT --config odoo.conf --db DB [its options]`.  Slow (minutes); not part of
# tests/run.sh.
# The addon benchmarked is the one committed at HEAD (git archive), so that work in
# progress in the tree cannot break or skew a run; BENCH_ADDON=worktree takes the tree.
# BENCH_KEEP=1 keeps the work directory (odoo.conf, logs) instead of removing it.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd -P)
db=shopify_stock_sync_bench
# shellcheck source=tests/odoo_env.sh
. tests/odoo_env.sh

fail() {
    echo "bench: failed: $*"
    exit 1
}

usage="usage: bash tests/bench/bench_odoo.sh SCRIPT [its options], SCRIPT a .py file of tests/bench"
[ $# -gt 0 ] || fail "no benchmark script given ($usage)"
script=$1
shift
case $script in
*/* | .* | '') fail "'$script' is not a file name of tests/bench ($usage)" ;;
*.py) ;;
*) fail "'$script' is not a Python script ($usage)" ;;
esac
[ -f "$repo/tests/bench/$script" ] || fail "no $script in tests/bench ($usage)"

odoo_python || fail "no Odoo 19: $odoo_error"
odoo_test_packages || fail "$odoo_error"
odoo_core_addons || fail "the Odoo 19 of $py has no 'stock' addon"

work=$(mktemp -d "${TMPDIR:-/tmp}/odoo-bench.XXXXXX")
chmod 711 "$work" # the cluster's owner must reach $work/pg
pg_dir=$work/pg
cleanup() {
    pg_cluster_stop "$pg_dir"
    if [ -n "${BENCH_KEEP:-}" ]; then echo "bench: kept $work (logs)"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

addon_root=$repo
if [ "${BENCH_ADDON:-head}" != worktree ] && git -C "$repo" rev-parse --verify -q HEAD >/dev/null; then
    addon_root=$work/addon
    mkdir "$addon_root"
    git -C "$repo" archive HEAD shopify_stock_sync | tar -x -C "$addon_root"
    echo "bench: addon of commit $(git -C "$repo" rev-parse --short HEAD)"
fi

# durability off as in the odoo tier: the cluster is thrown away (numbers are the same
# order as with fsync on only for the CPU side; commits are cheaper here)
pg_cluster_start "$pg_dir" odoo || fail "$pg_error"

# A benchmark may start `odoo server` (bench_odoo_push.py --runner-seconds, for queue_job's
# job runner) on these ports, 127.0.0.1 only; queue_job reads its channels from here.
odoo_server_conf "$work/odoo.conf" "$db" "$odoo_addons,$queue_job_dir,$addon_root" \
    "$work/data" "$(free_port)" 0

echo "bench: Odoo $(cd / && "$py" -c 'import odoo.release as r; print(r.version)'), installing shopify_stock_sync"
start=$SECONDS
(cd / && "$py" -m odoo server -c "$work/odoo.conf" -d "$db" -i shopify_stock_sync --stop-after-init \
    --logfile="$work/install.log") >"$work/install.stderr" 2>&1 ||
    { tail -n 30 "$work/install.log" "$work/install.stderr"; fail "install"; }
echo "bench: installed in $((SECONDS - start)) s"
(cd / && "$py" "$repo/tests/bench/$script" --config "$work/odoo.conf" --db "$db" "$@")

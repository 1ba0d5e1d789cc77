# shellcheck shell=bash
# Sourced (from the repository root) by tests/odoo_tier.sh and tests/bench/bench_odoo.sh:
# what both need to run Odoo 19 against a throwaway PostgreSQL cluster.  Defines functions
# only; each sets the variables named below and returns non-zero when it cannot, leaving
# the wording of the failure to the caller.
#
#   odoo_python             py: a Python that imports Odoo 19 ($ODOO_PYTHON, python3, or
#                           the interpreter of the `odoo` script on PATH); 1 when none
#   odoo_core_addons        odoo_addons: Odoo's own addons dir (the one holding `stock`)
#                           of $py; 1 when none
#   free_port               prints a free TCP port of 127.0.0.1 (with $py)
#   pg_cluster_start DIR ROLE
#                           a PostgreSQL cluster in DIR (created; its parent must be
#                           reachable by the cluster's owner) on a free port of 127.0.0.1,
#                           no Unix socket, durability off, with ROLE a LOGIN SUPERUSER;
#                           as root the cluster belongs to the 'postgres' OS user.  Sets
#                           pg_bin, as_pg (the command prefix to act as the owner) and
#                           port; on failure prints the log concerned (if any), sets
#                           pg_error to the reason and returns 1
#   pg_cluster_stop DIR     stops the cluster of DIR if it runs (for an EXIT trap)

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

odoo_python() {
    local candidate
    py=
    for candidate in "${ODOO_PYTHON:-}" python3 "$(odoo_script_python)"; do
        if is_odoo19 "$candidate"; then
            py=$(command -v "$candidate")
            return 0
        fi
    done
    return 1
}

# Odoo's own addons (stock ...): <source>/addons beside the odoo package, or, for packaged
# installs, odoo/addons itself.
odoo_core_addons() {
    odoo_addons=$(cd / && "$py" - <<'EOF'
import os, odoo.addons, odoo.release
root = os.path.dirname(os.path.dirname(os.path.abspath(odoo.release.__file__)))
for path in [os.path.join(root, "addons"), *odoo.addons.__path__]:
    if os.path.isfile(os.path.join(path, "stock", "__manifest__.py")):
        print(path)
        break
EOF
)
    [ -n "$odoo_addons" ]
}

free_port() {
    "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# pg_error is read by the callers; ls: the versions sorted newest first (plain names).
# shellcheck disable=SC2034,SC2012
pg_cluster_start() {
    local dir=$1 role=$2 bin runuser locale_opt
    pg_bin=
    as_pg=()
    port=
    pg_error=
    for bin in "$(pg_config --bindir 2>/dev/null || true)" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV) \
        "$(dirname "$(command -v initdb 2>/dev/null || echo .)")"; do
        if [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ] && [ -x "$bin/postgres" ]; then
            pg_bin=$bin
            break
        fi
    done
    if [ -z "$pg_bin" ]; then
        pg_error="no PostgreSQL server binaries (initdb, pg_ctl, postgres) found"
        return 1
    fi

    # initdb refuses root: the cluster then belongs to the 'postgres' OS user.
    if [ "$(id -u)" -eq 0 ]; then
        if ! id postgres >/dev/null 2>&1; then
            pg_error="running as root and there is no 'postgres' user to own the cluster"
            return 1
        fi
        if ! runuser=$(PATH=$PATH:/usr/sbin:/sbin command -v runuser); then
            pg_error="running as root and no runuser"
            return 1
        fi
        as_pg=("$runuser" -u postgres --)
    fi

    mkdir "$dir" || { pg_error="could not create $dir"; return 1; }
    if [ ${#as_pg[@]} -ne 0 ]; then
        chown postgres: "$dir" || { pg_error="could not give $dir to the 'postgres' user"; return 1; }
    fi
    port=$(free_port) || { pg_error="no free port on 127.0.0.1"; return 1; }
    locale_opt=--no-locale
    if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale_opt=--locale=C.UTF-8; fi
    if ! "${as_pg[@]}" "$pg_bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 "$locale_opt" \
        >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log"
        pg_error=initdb
        return 1
    fi
    # TCP on 127.0.0.1 only, no Unix socket; durability off (the cluster is thrown away).
    if ! "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories= -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null; then
        cat "$dir/server.log"
        pg_error="PostgreSQL did not start"
        return 1
    fi
    # Odoo refuses the 'postgres' role: it connects as its own (trust, loopback only).
    if ! "$pg_bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE $role LOGIN SUPERUSER" >/dev/null; then
        pg_error="could not create the role $role"
        return 1
    fi
}

pg_cluster_stop() {
    local dir=$1
    if [ -n "${pg_bin:-}" ] && [ -f "$dir/data/postmaster.pid" ]; then
        "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
}

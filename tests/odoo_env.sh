# shellcheck shell=bash
# Sourced (from the repository root) by tests/odoo_tier.sh and tests/bench/bench_odoo.sh:
# what they need to run Odoo 19 against a PostgreSQL cluster of their own (run.sh too).  Defines functions
# only; each sets the variables named below and returns non-zero when it cannot, leaving
# the wording of the failure to the caller.
#
#   odoo_python             py: a Python that runs Odoo 19: $ODOO_PYTHON when set, else
#                           the runtime the project builds under .cache/odoo19 (odoo_runtime,
#                           from ODOO_SRC); 1 with odoo_error when neither can be had
#   odoo_test_packages      tests/requirements-odoo.txt at its exact versions in $py, and
#                           queue_job 19.0 in .cache/odoo-addons; sets queue_job_dir
#   odoo_core_addons        odoo_addons: Odoo's own addons dir (the one holding `stock`)
#                           of $py; 1 when none
#   free_port               prints a free TCP port of 127.0.0.1 (with $py)
#   odoo_server_conf FILE DB ADDONS_PATH DATA_DIR HTTP_PORT CRON_THREADS
#                           an `odoo server` configuration with queue_job's runner
#                           (run.sh's sandbox, the benchmarks)
#   pg_cluster_start DIR ROLE [kept]
#                           a PostgreSQL cluster in DIR (created unless DIR holds one; its
#                           parent must be reachable by the cluster's owner) on a free port
#                           of 127.0.0.1, no Unix socket, with ROLE a LOGIN SUPERUSER;
#                           durability off unless "kept" (a cluster that outlives the run);
#                           as root the cluster belongs to the 'postgres' OS user.  Sets
#                           pg_bin, as_pg (the command prefix to act as the owner) and
#                           port; on failure prints the log concerned (if any), sets
#                           pg_error to the reason and returns 1
#   pg_cluster_stop DIR     stops the cluster of DIR if it runs (for an EXIT trap)

# is_odoo19 PYTHON: whether PYTHON imports Odoo 19.0 (by what it prints, not only its exit code).
is_odoo19() {
    local python
    python=$(command -v "$1" 2>/dev/null) || return 1
    [ "${python#/}" != "$python" ] || python=$PWD/$python
    [ "$(cd / && "$python" -c 'import odoo.release as r; print("odoo", *r.version_info[:2])' 2>/dev/null)" = "odoo 19 0" ]
}

# --- the Odoo 19 runtime ------------------------------------------------------------------
# ODOO_SRC: a directory holding an Odoo 19.0 tree, a .tar.* of one, or a git URL (branch
# 19.0).  Default: the newest tarball of ../shared/odoo19/src beside the checkout, else a
# shallow clone of Odoo's public repository.
ODOO_PUBLIC_GIT=https://github.com/odoo/odoo.git
# Left out of Odoo's requirements.txt: what the addon and its tests never use and what
# needs system libraries to build (LDAP login, the gevent server of multi-worker
# longpolling, Windows-only packages).
ODOO_REQUIREMENTS_LEFT_OUT='python-ldap gevent greenlet pypiwin32 rl-renderPM'
# cbor2 5.4.2 (Odoo's pin for Python < 3.12) builds from an sdist whose setup.py imports
# pkg_resources, which setuptools 81 removed: build it with an older setuptools.
ODOO_BUILD_CONSTRAINTS='setuptools<81'
# queue_job 19.0 from its wheel, into its own addons directory (--no-deps: it names odoo
# itself as a dependency, which is on no package registry).
QUEUE_JOB_SPEC='odoo-addon-queue-job==19.0.2.4.0.1'

# odoo_source: sets odoo_src (the Odoo tree) and odoo_src_id (what identifies its content).
# Returns 1 with odoo_error set when the source cannot be had.
odoo_source() {
    local spec=${ODOO_SRC:-} cache=$repo/.cache/odoo19 tarball
    if [ -z "$spec" ]; then
        # newest first; plain file names (no spaces) in shared/
        # shellcheck disable=SC2012
        tarball=$(ls -1 "$repo"/../shared/odoo19/src/odoo-19.0*.tar.* 2>/dev/null | sort -rV | head -n 1)
        spec=${tarball:-$ODOO_PUBLIC_GIT}
    fi
    case $spec in
    *://* | git@*)
        # a git URL: one shallow clone per URL, kept; remove .cache/odoo19/git to update
        if [ "$(cat "$cache/git.url" 2>/dev/null)" != "$spec" ] || [ ! -f "$cache/git/odoo-bin" ]; then
            rm -rf "$cache/git" "$cache/git.url"
            mkdir -p "$cache"
            echo "odoo runtime: cloning $spec (branch 19.0, shallow) ..." >&2
            git clone -q --depth 1 --branch 19.0 "$spec" "$cache/git" >&2 ||
                { odoo_error="could not clone $spec (branch 19.0): set ODOO_SRC to an Odoo 19.0 directory or tarball"; return 1; }
            echo "$spec" >"$cache/git.url"
        fi
        odoo_src=$cache/git
        odoo_src_id="git $spec $(git -C "$odoo_src" rev-parse HEAD)"
        ;;
    *.tar | *.tar.*)
        [ -f "$spec" ] || { odoo_error="ODOO_SRC: no file $spec"; return 1; }
        odoo_src_id="tar $(sha256sum "$spec" | cut -d' ' -f1)"
        if [ "$(cat "$cache/src.id" 2>/dev/null)" != "$odoo_src_id" ]; then
            rm -rf "$cache/src" "$cache/src.id"
            mkdir -p "$cache/src"
            echo "odoo runtime: unpacking ${spec##*/} ..." >&2
            tar -xf "$spec" -C "$cache/src" ||
                { odoo_error="could not unpack $spec"; return 1; }
            echo "$odoo_src_id" >"$cache/src.id"
        fi
        odoo_src=$(dirname "$(find "$cache/src" -maxdepth 2 -name odoo-bin -print -quit)")
        ;;
    *)
        [ -d "$spec" ] || { odoo_error="ODOO_SRC: $spec is neither a directory, a .tar.* file nor a git URL"; return 1; }
        odoo_src=$(cd "$spec" && pwd -P)
        odoo_src_id="dir $odoo_src $(git -C "$odoo_src" rev-parse HEAD 2>/dev/null ||
            sha256sum "$odoo_src/odoo/release.py" | cut -d' ' -f1)"
        ;;
    esac
    if [ ! -f "$odoo_src/odoo-bin" ] || [ ! -f "$odoo_src/requirements.txt" ]; then
        odoo_error="$spec holds no Odoo tree (odoo-bin, requirements.txt)"
        return 1
    fi
    grep -qE "^version_info = \(19, 0," "$odoo_src/odoo/release.py" ||
        { odoo_error="$spec is not Odoo 19.0 ($(grep -m1 '^version_info' "$odoo_src/odoo/release.py"))"; return 1; }
}

# odoo_requirements FILE: Odoo's requirements.txt as the runtime installs it (printed):
# psycopg2-binary for psycopg2, without ODOO_REQUIREMENTS_LEFT_OUT; pip evaluates the
# markers (python_version, sys_platform) for the running Python.
odoo_requirements() {
    local left_out
    left_out=$(tr ' ' '|' <<<"$ODOO_REQUIREMENTS_LEFT_OUT")
    sed -E -e 's/^psycopg2([ =<>!~;]|$)/psycopg2-binary\1/' "$1" | grep -viE "^($left_out)([ =<>!~;]|$)"
}

# odoo_runtime: sets py to the Python of a virtualenv under .cache/odoo19 running the Odoo of
# odoo_source, with Odoo's requirements (markers evaluated for this Python, psycopg2-binary
# for psycopg2, ODOO_REQUIREMENTS_LEFT_OUT left out).  Built again only when its stamp
# (source, filtered requirements, Python) changes.  PYTHON picks the interpreter.
odoo_runtime() {
    local cache=$repo/.cache/odoo19 base_python stamp venv name
    odoo_source || return 1
    base_python=$(command -v "${PYTHON:-python3}") ||
        { odoo_error="no ${PYTHON:-python3} to build the Odoo runtime with"; return 1; }
    mkdir -p "$cache"
    odoo_requirements "$odoo_src/requirements.txt" >"$cache/requirements.txt"
    stamp=$({
        echo "$odoo_src_id"
        cat "$cache/requirements.txt"
        echo "$ODOO_BUILD_CONSTRAINTS"
        "$base_python" -c 'import sys; print(sys.version)'
    } | sha256sum | cut -c1-16)
    venv=$cache/venv
    py=$venv/bin/python
    if [ "$(cat "$venv/.stamp" 2>/dev/null)" = "$stamp" ] && is_odoo19 "$py"; then
        return 0
    fi
    echo "odoo runtime: building $venv (Odoo's requirements, without: $ODOO_REQUIREMENTS_LEFT_OUT) ..." >&2
    rm -rf "$venv"
    "$base_python" -m venv "$venv" || { odoo_error="could not create $venv"; return 1; }
    echo "$ODOO_BUILD_CONSTRAINTS" >"$cache/build-constraints.txt"
    if ! PIP_CONSTRAINT=$cache/build-constraints.txt "$py" -m pip install --quiet \
        --disable-pip-version-check -r "$cache/requirements.txt" >"$cache/pip.log" 2>&1; then
        cat "$cache/pip.log" >&2
        odoo_error="could not install Odoo's requirements into $venv (pip's log above)"
        return 1
    fi
    # Odoo runs from its tree, not installed: a .pth puts the tree on the venv's path.
    name=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    echo "$odoo_src" >"$name/odoo-src.pth"
    is_odoo19 "$py" || { odoo_error="the runtime in $venv does not import Odoo 19"; return 1; }
    echo "$stamp" >"$venv/.stamp"
}

# odoo_python: sets py, a Python running Odoo 19: $ODOO_PYTHON when set, else the runtime
# of odoo_runtime.  Returns 1 with odoo_error set when neither can be had.
odoo_python() {
    py=
    odoo_error=
    if [ -n "${ODOO_PYTHON:-}" ]; then
        is_odoo19 "$ODOO_PYTHON" ||
            { odoo_error="ODOO_PYTHON=$ODOO_PYTHON does not import Odoo 19"; return 1; }
        py=$(command -v "$ODOO_PYTHON")
        [ "${py#/}" != "$py" ] || py=$PWD/$py
        return 0
    fi
    odoo_runtime
}

# odoo_test_packages: the packages of tests/requirements-odoo.txt (queue_job's, the
# simulator's and pytest-odoo's) at their exact versions in $py, checked every run and
# installed again when they differ; queue_job 19.0 (its pinned wheel) in
# .cache/odoo-addons/odoo/addons, sets queue_job_dir.
odoo_test_packages() {
    local log=$repo/.cache/odoo-packages.log spec
    mkdir -p "$repo/.cache"
    if ! (cd "$repo" && "$py" -m pip install --quiet --disable-pip-version-check \
        -r tests/requirements-odoo.txt) >"$log" 2>&1; then
        cat "$log" >&2
        odoo_error="could not install tests/requirements-odoo.txt for $py (pip's log above)"
        return 1
    fi
    spec=$QUEUE_JOB_SPEC
    queue_job_dir=$repo/.cache/odoo-addons/odoo/addons
    if [ "$(cat "$repo/.cache/odoo-addons/.spec" 2>/dev/null)" != "$spec" ] ||
        [ ! -f "$queue_job_dir/queue_job/__manifest__.py" ]; then
        rm -rf "$repo/.cache/odoo-addons"
        if ! "$py" -m pip install --quiet --disable-pip-version-check --no-deps \
            --target "$repo/.cache/odoo-addons" "$spec" >"$log" 2>&1; then
            cat "$log" >&2
            odoo_error="could not install $spec into .cache/odoo-addons (pip's log above)"
            return 1
        fi
        echo "$spec" >"$repo/.cache/odoo-addons/.spec"
    fi
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

# odoo_server_conf FILE DB ADDONS_PATH DATA_DIR HTTP_PORT CRON_THREADS: the configuration
# of an `odoo server` with queue_job's runner (2 jobs at a time) serving DB only, on
# 127.0.0.1:HTTP_PORT, from the cluster of pg_cluster_start ($port, role odoo).
odoo_server_conf() {
    cat >"$1" <<EOF
[options]
db_host = 127.0.0.1
db_port = $port
db_user = odoo
db_name = $2
dbfilter = ^$2\$
list_db = False
addons_path = $3
data_dir = $4
http_interface = 127.0.0.1
http_port = $5
max_cron_threads = $6
server_wide_modules = base,rpc,web,queue_job

[queue_job]
channels = root:2
EOF
}

# pg_server_binaries: sets pg_bin to a directory with initdb, pg_ctl and postgres.  As root
# with none found, installs Debian's postgresql package first.  Returns 1 with pg_error set.
# ls: the versions sorted newest first (plain names).
# shellcheck disable=SC2012
pg_server_binaries() {
    local bin
    pg_bin=
    for bin in "$(pg_config --bindir 2>/dev/null || true)" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV) \
        "$(dirname "$(command -v initdb 2>/dev/null || echo .)")"; do
        if [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ] && [ -x "$bin/postgres" ]; then
            pg_bin=$bin
            return 0
        fi
    done
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 && [ -z "${PG_NO_INSTALL:-}" ]; then
        echo "postgresql: no server binaries found; installing the system's postgresql package ..." >&2
        if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) \
            >"${TMPDIR:-/tmp}/apt-postgresql.log" 2>&1; then
            PG_NO_INSTALL=1 pg_server_binaries
            return
        fi
        cat "${TMPDIR:-/tmp}/apt-postgresql.log" >&2
    fi
    pg_error="no PostgreSQL server binaries (initdb, pg_ctl, postgres) found: install the \
PostgreSQL server (Debian/Ubuntu: apt-get install postgresql), version 13 or later"
    return 1
}

# pg_error is read by the callers.
# shellcheck disable=SC2034
pg_cluster_start() {
    local dir=$1 role=$2 runuser locale_opt durability
    as_pg=()
    port=
    pg_error=
    pg_server_binaries || return 1

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

    port=$(free_port) || { pg_error="no free port on 127.0.0.1"; return 1; }
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        mkdir -p "$dir" || { pg_error="could not create $dir"; return 1; }
        if [ ${#as_pg[@]} -ne 0 ]; then
            chown postgres: "$dir" || { pg_error="could not give $dir to the 'postgres' user"; return 1; }
        fi
        locale_opt=--no-locale
        if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale_opt=--locale=C.UTF-8; fi
        if ! "${as_pg[@]}" "$pg_bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 "$locale_opt" \
            >"$dir/initdb.log" 2>&1; then
            cat "$dir/initdb.log"
            pg_error=initdb
            return 1
        fi
        pg_new_cluster=1
    else
        pg_new_cluster=
    fi
    # TCP on 127.0.0.1 only, no Unix socket; durability off when the cluster is thrown away.
    durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [ "${3:-}" != kept ] || durability=
    if ! "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories= $durability" \
        start >/dev/null; then
        cat "$dir/server.log"
        pg_error="PostgreSQL did not start"
        return 1
    fi
    # Odoo refuses the 'postgres' role: it connects as its own (trust, loopback only).
    [ -n "$pg_new_cluster" ] || return 0
    if ! "$pg_bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE $role LOGIN SUPERUSER" >/dev/null; then
        pg_error="could not create the role $role"
        return 1
    fi
}

# pg_cluster_stop DIR [kept]: a kept cluster shuts down cleanly, a throwaway one at once.
pg_cluster_stop() {
    local dir=$1 mode=immediate
    [ "${2:-}" != kept ] || mode=fast
    if [ -n "${pg_bin:-}" ] && [ -f "$dir/data/postmaster.pid" ]; then
        "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m "$mode" -w stop >/dev/null 2>&1 || true
    fi
}

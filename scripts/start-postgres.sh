#!/usr/bin/env bash
# Starts (or reuses) a throwaway PostgreSQL server for the test suite and prints only its URL.
#
# The server is our own data directory on a fixed loopback port, not the distribution's cluster
# service, so it needs no init system and leaves the machine's PostgreSQL setup alone. As root it
# installs Debian's packages when no server binaries exist and runs the server as the `postgres`
# OS user; otherwise it runs as the current user. Without binaries outside CI it prints nothing
# and exits 0, and the PostgreSQL tests skip. Everything but the URL goes to stderr.
set -euo pipefail

PORT="${TEST_PG_PORT:-55432}"
USER_NAME=bot
PASSWORD=bot
DATABASE=bot_test
URL="postgresql://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/$DATABASE"
if [ "$(id -u)" -eq 0 ]; then
    ROOT="${TMPDIR:-/tmp}/studio-leads-bot-pg"
else
    ROOT="${TMPDIR:-/tmp}/studio-leads-bot-pg-$(id -u)"
fi
DATA="$ROOT/data"
SOCKETS="$ROOT/run"
LOG="$ROOT/server.log"

exec 3>&1 1>&2 # fd 3 is the real stdout, for the URL alone

say() { echo "start-postgres: $*"; }
die() {
    say "error: $*"
    exit 1
}

find_bindir() {
    local dir best=""
    for dir in /usr/lib/postgresql/*/bin; do
        if [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ]; then
            best="$dir" # the glob sorts 10 before 9, but one version is installed in practice
        fi
    done
    if [ -z "$best" ] && command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
        best="$(dirname "$(command -v pg_ctl)")"
    fi
    echo "$best"
}

install_packages() {
    say "installing PostgreSQL from the distribution's packages"
    # The package would otherwise create and try to start its own 'main' cluster: not needed.
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/studio-leads-bot.conf
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q || die "apt-get update failed"
    apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=120 postgresql \
        || die "apt-get install postgresql failed"
}

BIN="$(find_bindir)"
if [ -z "$BIN" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        install_packages
        BIN="$(find_bindir)"
        [ -n "$BIN" ] || die "no pg_ctl/initdb under /usr/lib/postgresql/*/bin after installing"
    elif [ "${CI:-}" = "true" ]; then
        die "no PostgreSQL server binaries (pg_ctl, initdb) and cannot install them (needs root and apt-get)"
    else
        say "no PostgreSQL server binaries found: PostgreSQL tests will be skipped"
        exit 0
    fi
fi

if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "there is no 'postgres' OS user to run the server as"
    RUN_AS=postgres
    as_server() { (cd / && runuser -u postgres -- "$@"); }
else
    RUN_AS="$(id -un)"
    as_server() { "$@"; }
fi

accepting() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 2; }
reusable() {
    accepting && PGCONNECT_TIMEOUT=10 "$BIN/psql" -X -q -At -c "SELECT 1" "$URL" >/dev/null 2>&1
}

if reusable; then
    say "reusing the server that already accepts $URL"
    echo "$URL" >&3
    exit 0
fi

# One setup at a time: a second run waits for the first, then reuses its server.
if command -v flock >/dev/null; then
    exec 4>"$ROOT.lock"
    flock -w 300 4 || die "another start-postgres.sh held $ROOT.lock for 5 minutes"
fi

mkdir -p "$ROOT"
chmod 700 "$ROOT"
[ "$RUN_AS" = "$(id -un)" ] || chown "$RUN_AS" "$ROOT"

show_log() {
    if [ -f "$LOG" ]; then
        say "last lines of $LOG:"
        tail -n 30 "$LOG" || true
    fi
}

wait_accepting() {
    local _
    for _ in $(seq "$1"); do
        accepting && return 0
        sleep 1
    done
    accepting
}

port_busy() { (exec 5<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

# The PID in postmaster.pid, when it is a live postmaster of our data directory. A PID file left
# by a killed server may name a zombie, or a process that reused the number: never signal those.
live_postmaster() {
    local pid state command
    pid="$(as_server head -n 1 "$DATA/postmaster.pid" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    if [ -r "/proc/$pid/stat" ]; then
        state="$(sed -E 's/^.*\) (.).*/\1/' "/proc/$pid/stat" 2>/dev/null)" || return 1
        command="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
    else
        state="$(ps -o stat= -p "$pid" 2>/dev/null)" || return 1
        command="$(ps -o command= -p "$pid" 2>/dev/null)" || return 1
    fi
    case "$state" in Z* | X*) return 1 ;; esac
    case "$command" in *postgres*"$DATA"*) echo "$pid" ;; *) return 1 ;; esac
}

init_data() {
    rm -rf "$DATA"
    say "initdb $DATA (as $RUN_AS)"
    as_server "$BIN/initdb" -D "$DATA" --no-sync --encoding=UTF8 --no-locale \
        --auth-local=peer --auth-host=scram-sha-256 >/dev/null \
        || die "initdb failed"
    echo "include_if_exists = 'test-server.conf'" | as_server tee -a "$DATA/postgresql.conf" >/dev/null
}

start_server() {
    # Rewritten on every start, so a reused data directory gets the current port and settings.
    as_server tee "$DATA/test-server.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCKETS'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
max_parallel_workers_per_gather = 0
EOF
    as_server mkdir -p "$SOCKETS"
    as_server truncate -s 0 "$LOG" 2>/dev/null || true
    # The server must not inherit our stdout (a caller's $(...) would wait for it) or the lock.
    as_server "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null 3>&- 4>&-
}

pid="$(live_postmaster || true)"
if [ -n "$pid" ]; then
    pid_port="$(as_server sed -n 4p "$DATA/postmaster.pid" 2>/dev/null || true)"
    if [ "$pid_port" = "$PORT" ] && wait_accepting 10; then
        say "reusing the server already running from $DATA"
    else
        say "our server (pid $pid, port ${pid_port:-?}) does not answer on port $PORT: stopping it"
        as_server "$BIN/pg_ctl" -D "$DATA" -m immediate -w -t 30 stop >/dev/null \
            || die "could not stop the server with pid $pid"
        pid=""
    fi
fi

if [ -z "$pid" ]; then
    # Stale lock files (no live server of ours behind them) would make the new server refuse.
    as_server rm -f "$DATA/postmaster.pid" "$SOCKETS"/.s.PGSQL.*
    if port_busy; then
        die "something else listens on 127.0.0.1:$PORT (set TEST_PG_PORT to another port)"
    fi
    version="$("$BIN/pg_ctl" --version | sed -E 's/^[^0-9]*([0-9]+).*/\1/')"
    if [ "$(as_server cat "$DATA/PG_VERSION" 2>/dev/null || true)" != "$version" ]; then
        init_data
    fi
    say "starting the server on 127.0.0.1:$PORT"
    if ! start_server; then
        show_log
        say "start failed: recreating the data directory and trying once more"
        as_server "$BIN/pg_ctl" -D "$DATA" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
        init_data
        start_server || {
            show_log
            die "could not start PostgreSQL"
        }
    fi
fi

wait_accepting 60 || {
    show_log
    die "the server does not accept connections on 127.0.0.1:$PORT"
}

# Idempotent: the role and the database are created once, the password is set every time.
as_server "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKETS" -p "$PORT" -d postgres >/dev/null <<EOF || die "could not create the role and the database"
SELECT 'CREATE ROLE $USER_NAME' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$USER_NAME')\gexec
ALTER ROLE $USER_NAME LOGIN CREATEDB PASSWORD '$PASSWORD';
-- DROP DATABASE ... WITH (FORCE) of a finished test must also end an autovacuum worker there.
GRANT pg_signal_backend TO $USER_NAME;
SELECT 'CREATE DATABASE $DATABASE OWNER $USER_NAME' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DATABASE')\gexec
EOF

reusable || die "cannot log in at $URL"

echo "$URL" >&3

# shellcheck shell=bash
# A throwaway PostgreSQL server standing in for the shared RDS instance.
# Sourced by scripts/demo. `pg_start DIR` initialises a cluster in DIR, starts
# it on 127.0.0.1 and a free port, and exports the libpq variables (PGHOST,
# PGPORT, PGUSER) that psql and the migration task use; `pg_stop` ends it.

pg_bindir() {
  # Debian keeps the server programs out of PATH, one folder per major version.
  if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return
  fi
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
  [[ -n "$dir" && -x "$dir/pg_ctl" ]] && echo "$dir"
}

pg_install() {
  [[ -n "$(pg_bindir)" ]] && return 0
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "demo: PostgreSQL is missing; install Debian's postgresql package (apt-get install postgresql)" >&2
    return 2
  fi
  echo "demo: installing Debian's postgresql package (once)" >&2
  apt-get update -qq >&2
  # The package would start a system cluster on 5432; the demo needs none.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
}

# The server refuses to run as root, so as root it runs as `postgres`
# (created by Debian's package) or another unprivileged user.
PG_OS_USER="${PG_OS_USER:-postgres}"
pg_as() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u "$PG_OS_USER" -- "$@"
  else
    "$@"
  fi
}

free_port() {
  "$DEMO_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_start() {
  local dir="$1" bin
  bin="$(pg_bindir)"
  if [[ $(id -u) -eq 0 ]] && ! id "$PG_OS_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_OS_USER"
  fi
  mkdir -p "$dir"
  [[ $(id -u) -eq 0 ]] && chown "$PG_OS_USER" "$dir"
  # trust on loopback only: a throwaway server with nothing in it, reachable
  # from this machine alone (listen_addresses below).
  pg_as "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-instructions >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  PGPORT="$(free_port)"
  pg_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$PGPORT -c unix_socket_directories='$dir'" start >/dev/null \
    || { cat "$dir/server.log" >&2; return 1; }
  PG_DIR="$dir"
  export PGHOST=127.0.0.1 PGPORT PGUSER=postgres
}

pg_stop() {
  [[ -n "${PG_DIR:-}" ]] || return 0
  pg_as "$(pg_bindir)/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  PG_DIR=
}

#!/usr/bin/env bash
# A private PostgreSQL cluster in $STATE_DIR/postgres, on 127.0.0.1:$FIRSTLOAN_PG_PORT.
# Usage: deploy/postgres.sh install|start|stop
source "$(dirname "$0")/lib.sh"

PG_PORT="${FIRSTLOAN_PG_PORT:-55432}"
PG_HOME="$STATE_DIR/postgres"
PG_DATA="$PG_HOME/data"
PG_USER="${FIRSTLOAN_PG_USER:-firstloan}"
PG_PASSWORD="${FIRSTLOAN_PG_PASSWORD:-firstloan}"

pg_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
  [ -n "$dir" ] || return 1
  echo "$dir"
}

install() {
  pg_bin >/dev/null && return 0
  log "installing PostgreSQL from Debian packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

# PostgreSQL refuses to run as root: the cluster belongs to an unprivileged account.
as_owner() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# The cluster's owner must reach its data directory. A checkout inside a private directory
# (root's home, say) is out of its reach: the data then lives under /var/lib/firstloan and
# .state/postgres links to it.
place_home() {
  [ -e "$PG_HOME" ] && return 0
  mkdir -p "$PG_HOME"
  [ "$(id -u)" = 0 ] || return 0
  chown postgres:postgres "$PG_HOME"
  runuser -u postgres -- test -w "$PG_HOME" && return 0
  rmdir "$PG_HOME"
  local home; home="/var/lib/firstloan/$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)/postgres"
  mkdir -p "$home"; chown postgres:postgres "$home"
  ln -s "$home" "$PG_HOME"
  log "PostgreSQL data in $home (the checkout is not readable by the postgres account)"
}

# Every path handed to the server is the real one, never through the link.
resolve_home() {
  PG_HOME="$(readlink -f "$PG_HOME")"
  PG_DATA="$PG_HOME/data"
}

init() {
  place_home
  resolve_home
  [ -f "$PG_DATA/PG_VERSION" ] && return 0
  log "creating a PostgreSQL cluster in $PG_DATA"
  mkdir -p "$PG_DATA" "$PG_HOME/socket"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$PG_HOME/"
  chmod 700 "$PG_DATA"
  local pwfile="$PG_HOME/.pw"
  echo "$PG_PASSWORD" > "$pwfile"; [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
  as_owner "$(pg_bin)/initdb" -D "$PG_DATA" -U "$PG_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
}

start() {
  is_running postgres && return 0
  install
  init
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  local logfile="$PG_HOME/server.log"
  touch "$logfile"; [ "$(id -u)" = 0 ] && chown postgres "$logfile"
  ln -sfn "$logfile" "$LOG_DIR/postgres.log"
  as_owner "$(pg_bin)/pg_ctl" -D "$PG_DATA" -l "$logfile" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_HOME/socket \
        -c max_connections=200 -c fsync=${FIRSTLOAN_PG_FSYNC:-on}" >/dev/null
  head -n1 "$PG_DATA/postmaster.pid" > "$RUN_DIR/postgres.pid"
}

stop() {
  is_running postgres || return 0
  resolve_home
  as_owner "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
  rm -f "$RUN_DIR/postgres.pid"
  log "stopped postgres"
}

"${1:?install|start|stop}"

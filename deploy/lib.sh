# Common paths and process helpers for the deploy scripts (sourced, not run).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${FIRSTLOAN_TOOLS_DIR:-$ROOT/.tools}"
STATE_DIR="${FIRSTLOAN_STATE_DIR:-$ROOT/.state}"
RUN_DIR="$STATE_DIR/run"
LOG_DIR="$STATE_DIR/logs"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
mkdir -p "$RUN_DIR" "$LOG_DIR"
# `make demo` plays a past campaign: its clock, reference data and quick ticks (written by
# `firstloan demo`) apply to everything started from here on, until `make reset`.
if [ -f "$STATE_DIR/demo/env" ]; then source "$STATE_DIR/demo/env"; fi

log() { printf '\033[1m[%s]\033[0m %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# A pid file holds the pid of a process we started; it is ours only while alive.
pid_of() {
  local file="$RUN_DIR/$1.pid"
  [ -f "$file" ] || return 1
  local pid; pid="$(cat "$file")"
  kill -0 "$pid" 2>/dev/null || { rm -f "$file"; return 1; }
  echo "$pid"
}

is_running() { pid_of "$1" >/dev/null; }

# Start a command in its own session, detached, logging to $LOG_DIR/<name>.log.
start_detached() {
  local name="$1"; shift
  setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/$name.pid"
}

# Stop what we started: TERM to the process group, then KILL after a grace period.
stop_named() {
  local name="$1" grace="${2:-20}" pid
  pid="$(pid_of "$name")" || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((grace * 5))); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$RUN_DIR/$name.pid"; log "stopped $name"; return 0; }
    sleep 0.2
  done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  rm -f "$RUN_DIR/$name.pid"
  log "killed $name after ${grace}s"
}

# Wait until a TCP port on loopback accepts connections.
wait_port() {
  local port="$1" name="$2" seconds="${3:-60}"
  for _ in $(seq 1 $((seconds * 5))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    is_running "$name" || die "$name exited; see $LOG_DIR/$name.log"
    sleep 0.2
  done
  die "$name did not open port $port within ${seconds}s; see $LOG_DIR/$name.log"
}

#!/usr/bin/env bash
# The services, each one process on its port (the Fineract adapter idles without a mapping).
# Usage: deploy/services.sh start|stop|status
source "$(dirname "$0")/lib.sh"

declare -A PORTS=([roster]=8101 [matchmaking]=8102 [ledger]=8103 [assessment]=8104 [fineract]=8105)
SERVICES=(roster matchmaking ledger assessment fineract)

healthy() { curl -fsS -m 3 "http://127.0.0.1:${PORTS[$1]}/health" >/dev/null 2>&1; }

start() {
  for service in "${SERVICES[@]}"; do
    is_running "$service" && continue
    log "starting $service on 127.0.0.1:${PORTS[$service]}"
    start_detached "$service" "$PY" -m "$service"
  done
  # Healthy once is up: a second look could catch a busy service (catching up on a backlog)
  # answering late, and call a running service dead.
  local up
  for service in "${SERVICES[@]}"; do
    up=no
    for _ in $(seq 1 300); do
      if healthy "$service"; then up=yes; break; fi
      is_running "$service" || die "$service exited; see $LOG_DIR/$service.log"
      sleep 0.2
    done
    [ "$up" = yes ] || die "$service did not become healthy; see $LOG_DIR/$service.log"
  done
  log "all services healthy"
}

stop() { for service in "${SERVICES[@]}"; do stop_named "$service" 20; done; }

status() {
  for service in "${SERVICES[@]}"; do
    if ! is_running "$service"; then printf '%-12s stopped\n' "$service"; continue; fi
    printf '%-12s pid %-7s %s\n' "$service" "$(pid_of "$service")" \
      "$(curl -sS -m 3 "http://127.0.0.1:${PORTS[$service]}/health" 2>&1)"
  done
}

"${1:?start|stop|status}"

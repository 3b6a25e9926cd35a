#!/usr/bin/env bash
# The whole platform on this machine. Usage: deploy/stack.sh up|infra|down|status|reset
# CLUSTER=3 runs Kafka as a cluster of three nodes (deploy/kafka.sh); one node by default.
source "$(dirname "$0")/lib.sh"
D="$ROOT/deploy"

infra() {
  "$D/bootstrap.sh"
  # The operators' campaign files (`firstloan campaign add` and `bank add` write there).
  "$PY" -m shared.campaigns >/dev/null
  "$D/postgres.sh" start
  "$D/kafka.sh" start
  log "provisioning databases, migrations, topics and ACLs"
  "$PY" -m shared.provision
  "$PY" -m fineract.provisioning  # a configured Fineract mapping's topics and rights
  "$VENV/bin/firstloan" token keys  # the HTTP tokens' key pair, made once
}

up() {
  infra
  "$D/services.sh" start
  log "platform up: roster :8101, matchmaking :8102, ledger :8103, assessment :8104, fineract :8105"
}

down() {
  "$D/services.sh" stop
  "$D/kafka.sh" stop
  "$D/postgres.sh" stop
}

status() {
  "$D/services.sh" status
  "$D/kafka.sh" status
  if is_running postgres; then printf '%-12s pid %s\n' postgres "$(pid_of postgres)";
  else printf '%-12s stopped\n' postgres; fi
}

reset() {
  down
  log "deleting local state in $STATE_DIR"
  if [ -L "$STATE_DIR/postgres" ]; then rm -rf "$(readlink -f "$STATE_DIR/postgres")"; fi
  rm -rf "$STATE_DIR"
}

"${1:?up|infra|down|status|reset}"

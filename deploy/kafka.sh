#!/usr/bin/env bash
# Apache Kafka (KRaft) from Maven Central jars, on loopback: one node on 127.0.0.1:9092, or
# with CLUSTER=3 three nodes (broker and controller each) on 9092, 9192 and 9292.
# Usage: deploy/kafka.sh install|start|stop|status|add-user NAME|start-node N|kill-node N
source "$(dirname "$0")/lib.sh"

KAFKA_LIB="$TOOLS_DIR/kafka/lib"
KAFKA_HOME="$STATE_DIR/kafka"
CLUSTER="${CLUSTER:-1}"
[[ "$CLUSTER" =~ ^[0-9]+$ ]] && { [ "$CLUSTER" = 1 ] || [ "$CLUSTER" -ge 3 ]; } \
  || die "CLUSTER must be 1 (one node) or 3 or more (a cluster), not '$CLUSTER'"
# What the platform's clients connect to (read by shared/settings.py): written when a cluster
# starts, removed when a single node does.
CLUSTER_ENV="$KAFKA_HOME/cluster.env"

# Node n listens for clients on 9092 + 100 (n - 1), for its controller on the port after.
client_port() { echo $((9092 + 100 * ($1 - 1))); }
controller_port() { echo $(($(client_port "$1") + 1)); }
# The single node keeps the names and places it always had; a cluster's nodes have their own.
node_name() { if [ "$CLUSTER" = 1 ]; then echo kafka; else echo "kafka-$1"; fi; }
node_home() { if [ "$CLUSTER" = 1 ]; then echo "$KAFKA_HOME"; else echo "$KAFKA_HOME/node-$1"; fi; }
nodes() { seq 1 "$CLUSTER"; }
bootstrap() {
  local n servers=()
  for n in $(nodes); do servers+=("127.0.0.1:$(client_port "$n")"); done
  (IFS=,; echo "${servers[*]}")
}
quorum_voters() {
  local n voters=()
  for n in $(nodes); do voters+=("$n@127.0.0.1:$(controller_port "$n")"); done
  (IFS=,; echo "${voters[*]}")
}

install() {
  local stamp="$TOOLS_DIR/kafka/pom.sha"
  local want; want="$(sha256sum "$ROOT/deploy/kafka/pom.xml" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  command -v mvn >/dev/null || die "mvn not found (deploy/bootstrap.sh installs it)"
  log "assembling Kafka from Maven Central into $KAFKA_LIB"
  rm -rf "$KAFKA_LIB"
  mvn -q -B -Dstyle.color=never -Dorg.slf4j.simpleLogger.defaultLogLevel=error -f "$ROOT/deploy/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIB"
  echo "$want" > "$stamp"
}

# shellcheck disable=SC2206
JAVA=(java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}
  -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.yaml" -cp "$KAFKA_LIB/*")

SECURITY="${FIRSTLOAN_KAFKA_SECURITY:-scram}"

# A node's configuration: the common part, then the listeners of the security mode (and, in
# a cluster, the replication settings), with the broker's and controller's generated
# passwords (so the file is 0600).
configure() {
  local n="$1" home; home="$(node_home "$1")"
  mkdir -p "$home"
  local listeners="$ROOT/deploy/kafka/security.properties" parts
  if [ "$SECURITY" = none ]; then
    listeners="$ROOT/deploy/kafka/insecure.properties"
    log "WARNING: Kafka WITHOUT authentication or ACLs (FIRSTLOAN_KAFKA_SECURITY=none): development only"
  fi
  parts=("$ROOT/deploy/kafka/server.properties" "$listeners")
  [ "$CLUSTER" = 1 ] || parts+=("$ROOT/deploy/kafka/cluster.properties")
  local broker controller
  broker="$("$PY" -m shared.kafka_security password broker)"
  controller="$("$PY" -m shared.kafka_security password controller)"
  (
    umask 077
    cat "${parts[@]}" \
      | sed -e "s#\${STATE_DIR}#$STATE_DIR#g" -e "s#\${BROKER_PASSWORD}#$broker#g" \
            -e "s#\${CONTROLLER_PASSWORD}#$controller#g" -e "s#\${NODE_ID}#$n#g" \
            -e "s#\${DATA_DIR}#$home/data#g" -e "s#\${QUORUM_VOTERS}#$(quorum_voters)#g" \
            -e "s#\${CLIENT_PORT}#$(client_port "$n")#g" \
            -e "s#\${CONTROLLER_PORT}#$(controller_port "$n")#g" \
            -e "s#\${REPLICATION}#$CLUSTER#g" -e "s#\${MIN_ISR}#2#g" > "$home/server.properties"
  )
}

# Storage is formatted once, with the SCRAM credentials of every principal known then;
# a later bank gets its principal from `firstloan bank add`. The mode it was formatted in
# is kept: a broker formatted without users cannot be secured later without a reset. The
# nodes of a cluster share one cluster id and one list of credentials.
format() {
  local n="$1" home; home="$(node_home "$1")"
  configure "$n"
  local mode_file="$home/security-mode"
  if [ -f "$home/data/meta.properties" ]; then
    local formatted; formatted="$(cat "$mode_file" 2>/dev/null || echo none)"
    [ "$formatted" = "$SECURITY" ] && return 0
    [ "$formatted" = scram ] && return 0  # users exist; development mode just ignores them
    die "Kafka storage was formatted without users; \`make reset\` to start it secured"
  fi
  log "formatting Kafka storage in $home/data ($SECURITY)"
  local id_file="$home/cluster-id"
  [ "$CLUSTER" = 1 ] || id_file="$KAFKA_HOME/cluster-id"
  if [ ! -s "$id_file" ]; then
    "${JAVA[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1 > "$id_file"
  fi
  local scram=()
  if [ "$SECURITY" != none ]; then mapfile -t scram < <("$PY" -m shared.kafka_security scram-arguments); fi
  "${JAVA[@]}" kafka.tools.StorageTool format -t "$(cat "$id_file")" -c "$home/server.properties" \
    "${scram[@]}" >/dev/null
  echo "$SECURITY" > "$mode_file"
}

start-node() {
  local n="${1:?node number}" name; name="$(node_name "$1")"
  is_running "$name" && return 0
  install
  format "$n"
  log "starting $name on 127.0.0.1:$(client_port "$n")"
  start_detached "$name" "${JAVA[@]}" kafka.Kafka "$(node_home "$n")/server.properties"
}

start() {
  local n
  for n in $(nodes); do start-node "$n"; done
  # A cluster's node opens its client port only once a quorum of controllers is up.
  for n in $(nodes); do wait_port "$(client_port "$n")" "$(node_name "$n")" 90; done
  if [ "$CLUSTER" = 1 ]; then
    rm -f "$CLUSTER_ENV"
  else
    printf '%s\n' "# written by deploy/kafka.sh: the running cluster" \
      "FIRSTLOAN_KAFKA_BOOTSTRAP=$(bootstrap)" "FIRSTLOAN_KAFKA_REPLICATION_FACTOR=$CLUSTER" \
      > "$CLUSTER_ENV"
  fi
}

# Every node with a pid file, single or in a cluster, whatever CLUSTER says now.
running_nodes() {
  local file
  for file in "$RUN_DIR"/kafka.pid "$RUN_DIR"/kafka-*.pid; do
    [ -f "$file" ] && basename "$file" .pid
  done
  return 0
}

# All nodes at once: the last node of a cluster stopped alone finds no quorum to hand its
# partitions over to, and waits for it until killed.
stop() {
  local name
  for name in $(running_nodes); do stop_named "$name" 30 & done
  wait
}

status() {
  local name
  for name in $(running_nodes); do
    if is_running "$name"; then printf '%-12s pid %s\n' "$name" "$(pid_of "$name")"; fi
  done
  [ -f "$CLUSTER_ENV" ] && printf '%-12s %s\n' cluster "$(grep BOOTSTRAP "$CLUSTER_ENV" | cut -d= -f2)"
  return 0
}

# Fault injection (make chaos): SIGKILL one node of the cluster, as a crash would.
kill-node() {
  local name; name="$(node_name "${1:?node number}")"
  local pid; pid="$(pid_of "$name")" || die "$name is not running"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"
  rm -f "$RUN_DIR/$name.pid"
  log "killed $name"
}

# A principal added after the first start (a new bank): its SCRAM credentials, set as admin.
add-user() {
  local name="${1:?principal name}" config
  [ "$SECURITY" = none ] && { log "development mode: no Kafka users"; return 0; }
  install
  config="$(mktemp)"; chmod 600 "$config"
  trap 'rm -f "$config"' RETURN
  printf '%s\n' "security.protocol=SASL_PLAINTEXT" "sasl.mechanism=SCRAM-SHA-512" \
    "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$("$PY" -m shared.kafka_security password admin)\";" > "$config"
  "${JAVA[@]}" org.apache.kafka.tools.ConfigCommand --bootstrap-server "$(bootstrap)" \
    --command-config "$config" --alter --entity-type users --entity-name "$name" \
    --add-config "SCRAM-SHA-512=[password=$("$PY" -m shared.kafka_security password "$name")]" >/dev/null
}

"${1:?install|start|stop|status|add-user NAME|start-node N|kill-node N}" "${@:2}"

#!/usr/bin/env bash
# Apache Kafka (KRaft, single node) from Maven Central jars, on 127.0.0.1:9092.
# Usage: deploy/kafka.sh install|start|stop
source "$(dirname "$0")/lib.sh"

KAFKA_LIB="$TOOLS_DIR/kafka/lib"
KAFKA_CONF="$STATE_DIR/kafka/server.properties"
KAFKA_PORT=9092

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

# The broker's configuration: the common part, then the listeners of the security mode,
# with the broker's and controller's generated passwords (so the file is 0600).
configure() {
  mkdir -p "$STATE_DIR/kafka"
  local listeners="$ROOT/deploy/kafka/security.properties"
  if [ "$SECURITY" = none ]; then
    listeners="$ROOT/deploy/kafka/insecure.properties"
    log "WARNING: Kafka WITHOUT authentication or ACLs (FIRSTLOAN_KAFKA_SECURITY=none): development only"
  fi
  local broker controller
  broker="$("$PY" -m shared.kafka_security password broker)"
  controller="$("$PY" -m shared.kafka_security password controller)"
  umask 077
  cat "$ROOT/deploy/kafka/server.properties" "$listeners" \
    | sed -e "s#\${STATE_DIR}#$STATE_DIR#g" -e "s#\${BROKER_PASSWORD}#$broker#g" \
          -e "s#\${CONTROLLER_PASSWORD}#$controller#g" > "$KAFKA_CONF"
}

# Storage is formatted once, with the SCRAM credentials of every principal known then;
# a later bank gets its principal from `firstloan bank add`. The mode it was formatted in
# is kept: a broker formatted without users cannot be secured later without a reset.
format() {
  configure
  local mode_file="$STATE_DIR/kafka/security-mode"
  if [ -f "$STATE_DIR/kafka/data/meta.properties" ]; then
    local formatted; formatted="$(cat "$mode_file" 2>/dev/null || echo none)"
    [ "$formatted" = "$SECURITY" ] && return 0
    [ "$formatted" = scram ] && return 0  # users exist; development mode just ignores them
    die "Kafka storage was formatted without users; \`make reset\` to start it secured"
  fi
  log "formatting Kafka storage in $STATE_DIR/kafka/data ($SECURITY)"
  local cluster_id; cluster_id="$("${JAVA[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)"
  local scram=()
  if [ "$SECURITY" != none ]; then mapfile -t scram < <("$PY" -m shared.kafka_security scram-arguments); fi
  "${JAVA[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_CONF" "${scram[@]}" >/dev/null
  echo "$SECURITY" > "$mode_file"
}

start() {
  is_running kafka && return 0
  install
  format
  log "starting Kafka on 127.0.0.1:$KAFKA_PORT"
  start_detached kafka "${JAVA[@]}" kafka.Kafka "$KAFKA_CONF"
  wait_port "$KAFKA_PORT" kafka 90
}

stop() { stop_named kafka 30; }

# A principal added after the first start (a new bank): its SCRAM credentials, set as admin.
add-user() {
  local name="${1:?principal name}" config
  [ "$SECURITY" = none ] && { log "development mode: no Kafka users"; return 0; }
  install
  config="$(mktemp)"; chmod 600 "$config"
  trap 'rm -f "$config"' RETURN
  printf '%s\n' "security.protocol=SASL_PLAINTEXT" "sasl.mechanism=SCRAM-SHA-512" \
    "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$("$PY" -m shared.kafka_security password admin)\";" > "$config"
  "${JAVA[@]}" org.apache.kafka.tools.ConfigCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
    --command-config "$config" --alter --entity-type users --entity-name "$name" \
    --add-config "SCRAM-SHA-512=[password=$("$PY" -m shared.kafka_security password "$name")]" >/dev/null
}

"${1:?install|start|stop|add-user NAME}" "${@:2}"

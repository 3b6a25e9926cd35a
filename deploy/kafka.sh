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

format() {
  mkdir -p "$STATE_DIR/kafka"
  sed "s#\${STATE_DIR}#$STATE_DIR#g" "$ROOT/deploy/kafka/server.properties" > "$KAFKA_CONF"
  [ -f "$STATE_DIR/kafka/data/meta.properties" ] && return 0
  log "formatting Kafka storage in $STATE_DIR/kafka/data"
  local cluster_id; cluster_id="$("${JAVA[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)"
  "${JAVA[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_CONF" >/dev/null
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

"${1:?install|start|stop}"

#!/usr/bin/env bash
# The local stack without Docker: Apache Kafka (KRaft, one node), Apicurio Registry (in-memory,
# Confluent-compatible API) and Redis, as plain processes on 127.0.0.1.
#
#   scripts/stack.sh up       install what is missing, start what is not running, wait until all answer,
#                             then write $STACK_DIR/endpoints.env and print the same KEY=VALUE lines
#   scripts/stack.sh down     stop the processes this script started (by pid); nothing else
#   scripts/stack.sh status   say what answers
#   scripts/stack.sh up --secure   also the secured services (SASL_SSL Kafka, TLS registry front, TLS Redis):
#                                  see scripts/stack/secure.sh; their endpoints go to $STACK_DIR/secure-endpoints.env
#
# Downloads and data live in .stack/ (git-ignored). Running `up` twice is harmless.
#
# Output contract of `up`: the endpoints are the only thing on stdout, and they are also written,
# atomically and only once every service answers, to $STACK_DIR/endpoints.env (KAFKA_BROKERS,
# SCHEMA_REGISTRY_URL, REDIS_URL; KEY=VALUE lines only). Programs read that file, not stdout.
# Progress lines go to stderr; every tool's own output (mvn, apt-get, tar, java) goes to a log file
# under $STACK_DIR/run/ that the progress line names. Maven takes MAVEN_OPTS as usual (e.g.
# MAVEN_OPTS=-Dmaven.repo.local=/tmp/m2 for a cold cache).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK_DIR="${STACK_DIR:-$ROOT/.stack}"
KAFKA_VERSION="4.4.0"          # keep in step with scripts/stack/kafka-pom.xml
# Apicurio 3.3.x needs Java 21+; where the machine has only Java 17, 3.0.9 (the newest on 17) is used.
APICURIO_NEW="3.3.3"
APICURIO_OLD="3.0.9"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
REGISTRY_PORT="${REGISTRY_PORT:-8081}"
REDIS_PORT="${REDIS_PORT:-6379}"
# Apicurio 3.3 (Quarkus) also opens a management port (9000 by default); a second stack needs its own.
REGISTRY_MANAGEMENT_PORT="${REGISTRY_MANAGEMENT_PORT:-$((REGISTRY_PORT + 919))}"
UP_TIMEOUT_S="${UP_TIMEOUT_S:-180}"

KAFKA_DIR="$STACK_DIR/kafka"
APICURIO_DIR="$STACK_DIR/apicurio"
REDIS_DIR="$STACK_DIR/redis"
RUN_DIR="$STACK_DIR/run"
ENDPOINTS_FILE="$STACK_DIR/endpoints.env"
INSTALL_LOG="$RUN_DIR/install.log"
mkdir -p "$RUN_DIR"

log() { printf '[stack] %s\n' "$*" >&2; }
SECURE=false
for arg in "${@:2}"; do [ "$arg" = "--secure" ] && SECURE=true; done
# shellcheck source=stack/secure.sh
. "$ROOT/scripts/stack/secure.sh"

# Runs a command with all its output appended to a log file; on failure, shows the log's tail.
run_logged() { # logfile command...
  local logfile=$1; shift
  printf '\n### %s %s\n' "$(date -u +%FT%TZ)" "$*" >>"$logfile"
  if ! "$@" >>"$logfile" 2>&1 </dev/null; then
    log "failed: $*; last lines of $logfile:"
    tail -n 40 "$logfile" >&2 || true
    return 1
  fi
}

# Writes KEY=VALUE lines to an env file atomically: readers see the old file or the whole new one.
write_env_file() { # path KEY=VALUE...
  local path=$1; shift
  local tmp="$path.tmp.$$"
  printf '%s\n' "$@" >"$tmp"
  mv -f "$tmp" "$path"
}

# The settings every local single-node broker shares (the plain one, the secured one, and a test's own).
kafka_single_node_props() { grep -v '^#' "$ROOT/scripts/stack/kafka-single-node.properties"; }

# --- probes -----------------------------------------------------------------------------------
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
redis_ok() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }
registry_ok() { curl -fsS -o /dev/null "http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7/subjects" 2>/dev/null; }
kafka_ok() { port_open "$KAFKA_PORT" && node "$ROOT/scripts/stack/kafka-ping.mjs" "127.0.0.1:$KAFKA_PORT" >/dev/null 2>&1; }
pid_alive() { [ -f "$RUN_DIR/$1.pid" ] && kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null; }

# --- installs ---------------------------------------------------------------------------------
install_redis() {
  command -v redis-server >/dev/null && return 0
  log "installing redis-server from Debian's packages (output in $INSTALL_LOG)"
  run_logged "$INSTALL_LOG" apt-get update -qq
  run_logged "$INSTALL_LOG" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server
}
install_kafka() {
  [ -f "$KAFKA_DIR/libs/kafka_2.13-$KAFKA_VERSION.jar" ] && return 0
  log "resolving Apache Kafka $KAFKA_VERSION jars with Maven (output in $INSTALL_LOG)"
  rm -rf "$KAFKA_DIR/libs"
  mvn_logged -f "$ROOT/scripts/stack/kafka-pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_DIR/libs"
}
# Batch mode and no colour keep the log readable; stdout stays clean either way (run_logged).
mvn_logged() { run_logged "$INSTALL_LOG" mvn -B -Dstyle.color=never "$@"; }
# A JDK of version 21 or newer, if the machine has one (prints its java binary).
find_java21() {
  local j v
  for j in "${JAVA21_HOME:+$JAVA21_HOME/bin/java}" "$(command -v java)" /usr/lib/jvm/*/bin/java; do
    [ -n "$j" ] && [ -x "$j" ] || continue
    v="$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = //p')"
    [ "${v%%.*}" -ge 21 ] 2>/dev/null && { echo "$j"; return 0; }
  done
  return 1
}
apicurio_choose() {
  if APICURIO_JAVA="$(find_java21)"; then APICURIO_VERSION="$APICURIO_NEW"; else APICURIO_JAVA=java; APICURIO_VERSION="$APICURIO_OLD"; fi
  APICURIO_HOME="$APICURIO_DIR/$APICURIO_VERSION"
}
install_apicurio() {
  apicurio_choose
  [ -f "$APICURIO_HOME/.ready" ] && return 0
  log "fetching Apicurio Registry $APICURIO_VERSION with Maven (output in $INSTALL_LOG)"
  mkdir -p "$APICURIO_DIR"
  local tgz="$APICURIO_DIR/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz"
  [ -f "$tgz" ] || mvn_logged dependency:copy \
    -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" -DoutputDirectory="$APICURIO_DIR"
  rm -rf "$APICURIO_HOME" && mkdir -p "$APICURIO_HOME"
  run_logged "$INSTALL_LOG" tar -xzf "$tgz" -C "$APICURIO_HOME"
  touch "$APICURIO_HOME/.ready"
}
# The runnable jar: quarkus-run.jar (3.3.x fast-jar) or *-runner.jar (3.0.x).
apicurio_jar() { find "$APICURIO_HOME" -maxdepth 2 \( -name quarkus-run.jar -o -name '*-runner.jar' \) | head -1; }

# --- starts -----------------------------------------------------------------------------------
start_redis() {
  if redis_ok; then log "redis already answers on $REDIS_PORT"; return 0; fi
  mkdir -p "$REDIS_DIR"
  log "starting redis on $REDIS_PORT (log in $RUN_DIR/redis.log)"
  run_logged "$RUN_DIR/redis.log" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$REDIS_DIR" --daemonize yes --pidfile "$RUN_DIR/redis.pid" --logfile "$RUN_DIR/redis.log"
}
start_kafka() {
  if pid_alive kafka || port_open "$KAFKA_PORT"; then log "kafka already running on $KAFKA_PORT"; return 0; fi
  mkdir -p "$KAFKA_DIR/data"
  cat >"$KAFKA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
$(kafka_single_node_props)
EOF
  local cp="$KAFKA_DIR/libs/*"
  local log4j="-Dlog4j2.configurationFile=$ROOT/scripts/stack/log4j2.properties"
  if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
    log "formatting Kafka's storage (output in $RUN_DIR/kafka-format.log)"
    local cluster_id
    cluster_id="$(java -cp "$cp" "$log4j" kafka.tools.StorageTool random-uuid 2>>"$RUN_DIR/kafka-format.log" | tail -n 1)"
    run_logged "$RUN_DIR/kafka-format.log" java -cp "$cp" "$log4j" kafka.tools.StorageTool format -t "$cluster_id" \
      -c "$KAFKA_DIR/server.properties" --standalone --ignore-formatted
  fi
  log "starting kafka on $KAFKA_PORT (log in $RUN_DIR/kafka.log)"
  setsid nohup java -Xms256m -Xmx1g -XX:+UseG1GC -cp "$cp" "$log4j" kafka.Kafka "$KAFKA_DIR/server.properties" \
    >"$RUN_DIR/kafka.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/kafka.pid"
}
start_registry() {
  if pid_alive registry || registry_ok; then log "registry already answers on $REGISTRY_PORT"; return 0; fi
  local jar; jar="$(apicurio_jar)"
  log "starting Apicurio Registry $APICURIO_VERSION with $APICURIO_JAVA on $REGISTRY_PORT (log in $RUN_DIR/registry.log)"
  # exec: the backgrounded subshell becomes the JVM, so $! is the JVM's pid.
  (cd "$(dirname "$jar")" && exec setsid nohup "$APICURIO_JAVA" -Xms128m -Xmx512m -Dquarkus.http.host=127.0.0.1 \
    -Dquarkus.http.port="$REGISTRY_PORT" -Dquarkus.management.host=127.0.0.1 \
    -Dquarkus.management.port="$REGISTRY_MANAGEMENT_PORT" -jar "$jar" >"$RUN_DIR/registry.log" 2>&1 </dev/null) &
  echo $! >"$RUN_DIR/registry.pid"
}

wait_for() { # name probe logfile
  local name=$1 probe=$2 logfile=$3 deadline=$((SECONDS + UP_TIMEOUT_S))
  until $probe; do
    if [ $SECONDS -ge $deadline ] || { [ -f "$RUN_DIR/$name.pid" ] && ! pid_alive "$name"; }; then
      log "$name did not come up; last lines of $logfile:"
      tail -n 40 "$logfile" >&2 || true
      return 1
    fi
    sleep 1
  done
  log "$name is up"
}

up() {
  # Only the endpoints reach stdout (fd 3); anything else a tool prints lands on stderr.
  exec 3>&1 1>&2
  rm -f "$ENDPOINTS_FILE"
  install_redis
  install_kafka
  install_apicurio
  start_redis
  start_kafka
  start_registry
  wait_for redis redis_ok "$RUN_DIR/redis.log"
  wait_for kafka kafka_ok "$RUN_DIR/kafka.log"
  wait_for registry registry_ok "$RUN_DIR/registry.log"
  if $SECURE; then secure_up; fi
  write_env_file "$ENDPOINTS_FILE" \
    "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT" \
    "SCHEMA_REGISTRY_URL=http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7" \
    "REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
  log "endpoints written to $ENDPOINTS_FILE"
  cat "$ENDPOINTS_FILE" >&3
}

stop_one() { # name
  local name=$1 pidfile="$RUN_DIR/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid; pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    log "$name stopped (pid $pid)"
  fi
  rm -f "$pidfile"
}

down() {
  rm -f "$ENDPOINTS_FILE"
  secure_down
  stop_one registry
  stop_one kafka
  stop_one redis
}

status() {
  local rc=0
  if kafka_ok; then echo "kafka     up   127.0.0.1:$KAFKA_PORT"; else echo "kafka     down"; rc=1; fi
  if registry_ok; then echo "registry  up   http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7"; else echo "registry  down"; rc=1; fi
  if redis_ok; then echo "redis     up   redis://127.0.0.1:$REDIS_PORT"; else echo "redis     down"; rc=1; fi
  secure_status || rc=1
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac

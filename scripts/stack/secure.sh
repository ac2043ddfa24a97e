# shellcheck shell=bash
# The secured services of `scripts/stack.sh up --secure` (sourced by stack.sh, which provides ROOT,
# STACK_DIR, RUN_DIR, KAFKA_DIR, the ports, log, port_open, pid_alive, wait_for and stop_one).
#
# Design: the secured services are separate processes beside the plain ones, so the plain stack
# is never restarted or reconfigured and the secured one can come and go on its own.
#   - secure-kafka:    a second single-node KRaft broker (same jars, own data dir) with a SASL_SSL
#                      listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512; connections.max.reauth.ms) and a
#                      PLAINTEXT inter-broker/controller pair on loopback. SCRAM users can only be
#                      created at format time (kafkajs cannot alter SCRAM credentials), so the data dir
#                      is formatted together with the credentials file and both are recreated together.
#   - secure-registry: a Node https reverse proxy with basic auth in front of the plain registry.
#   - secure-redis:    a second redis-server, TLS only, default user off, one ACL user.
# Certificates (one self-signed CA, one server certificate for localhost/127.0.0.1) and random
# credentials live in $STACK_DIR/secure/ and are reused; the endpoints go to
# $STACK_DIR/secure-endpoints.env (written atomically).

SECURE_DIR="$STACK_DIR/secure"
SECURE_KAFKA_PORT="${SECURE_KAFKA_PORT:-$((KAFKA_PORT + 4))}"
SECURE_KAFKA_CONTROLLER_PORT="${SECURE_KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 5))}"
SECURE_KAFKA_INTERNAL_PORT="${SECURE_KAFKA_INTERNAL_PORT:-$((KAFKA_PORT + 6))}"
SECURE_KAFKA_REAUTH_MS="${SECURE_KAFKA_REAUTH_MS:-30000}"
SECURE_REGISTRY_PORT="${SECURE_REGISTRY_PORT:-$((REGISTRY_PORT + 1))}"
SECURE_REDIS_PORT="${SECURE_REDIS_PORT:-$((REDIS_PORT + 1))}"
SECURE_ENDPOINTS="$STACK_DIR/secure-endpoints.env"

secure_kafka_ok() {
  port_open "$SECURE_KAFKA_PORT" && node "$ROOT/scripts/stack/kafka-ping.mjs" "127.0.0.1:$SECURE_KAFKA_PORT" \
    --ssl-ca "$SECURE_DIR/ca.pem" --sasl plain --username "$SECURE_KAFKA_PLAIN_USER" \
    --password-env SECURE_KAFKA_PLAIN_PASSWORD >/dev/null 2>&1
}
secure_registry_ok() {
  curl -fsS -o /dev/null --cacert "$SECURE_DIR/ca.pem" -u "$SECURE_REGISTRY_USER:$SECURE_REGISTRY_PASSWORD" \
    "https://127.0.0.1:$SECURE_REGISTRY_PORT/apis/ccompat/v7/subjects" 2>/dev/null
}
secure_redis_ok() {
  [ "$(REDISCLI_AUTH="$SECURE_REDIS_PASSWORD" redis-cli --tls --cacert "$SECURE_DIR/ca.pem" -h 127.0.0.1 \
    -p "$SECURE_REDIS_PORT" --user "$SECURE_REDIS_USER" --no-auth-warning ping 2>/dev/null)" = "PONG" ]
}

# One CA and one server certificate (SAN localhost and 127.0.0.1), plus the PKCS12 keystore Kafka reads.
secure_certs() {
  [ -f "$SECURE_DIR/server.p12" ] && return 0
  log "creating a self-signed CA and server certificate in $SECURE_DIR"
  local d="$SECURE_DIR"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=marketo-stream local CA" \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 3650 \
    -extfile "$d/server.ext" -out "$d/server.pem" 2>/dev/null
  openssl pkcs12 -export -in "$d/server.pem" -inkey "$d/server.key" -certfile "$d/ca.pem" -name broker \
    -passout "pass:$SECURE_KEYSTORE_PASSWORD" -out "$d/server.p12"
  chmod 600 "$d"/*.key "$d/server.p12"
}

# Random credentials, created once; the secure broker's data dir is formatted with them (SCRAM).
secure_credentials() {
  local f="$SECURE_DIR/credentials.env"
  if [ ! -f "$f" ]; then
    log "creating credentials for the secured services"
    # The broker's SCRAM users and the keystore's password come from this file: recreate them with it.
    rm -rf "$SECURE_DIR/kafka-data" "$SECURE_DIR/server.p12"
    local r; r() { openssl rand -hex 12; }
    umask 077
    cat >"$f.tmp" <<EOF
SECURE_KEYSTORE_PASSWORD=$(r)
SECURE_KAFKA_PLAIN_USER=plain-user
SECURE_KAFKA_PLAIN_PASSWORD=plain-$(r)
SECURE_KAFKA_SCRAM_USER=scram-user
SECURE_KAFKA_SCRAM_PASSWORD=scram-$(r)
SECURE_REGISTRY_USER=registry-user
SECURE_REGISTRY_PASSWORD=registry-$(r)
SECURE_REDIS_USER=redis-user
SECURE_REDIS_PASSWORD=redis-$(r)
EOF
    mv "$f.tmp" "$f"
    umask 022
  fi
  set -a # the probes hand passwords to their tools through the environment
  # shellcheck disable=SC1090
  . "$f"
  set +a
}

start_secure_kafka() {
  if pid_alive secure-kafka || port_open "$SECURE_KAFKA_PORT"; then
    log "secure kafka already running on $SECURE_KAFKA_PORT"
    return 0
  fi
  local data="$SECURE_DIR/kafka-data" props="$SECURE_DIR/server.properties"
  mkdir -p "$data"
  (
    umask 077
    cat >"$props" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$SECURE_KAFKA_CONTROLLER_PORT
listeners=SASL_SSL://127.0.0.1:$SECURE_KAFKA_PORT,CONTROLLER://127.0.0.1:$SECURE_KAFKA_CONTROLLER_PORT,INTERNAL://127.0.0.1:$SECURE_KAFKA_INTERNAL_PORT
advertised.listeners=SASL_SSL://127.0.0.1:$SECURE_KAFKA_PORT,INTERNAL://127.0.0.1:$SECURE_KAFKA_INTERNAL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=INTERNAL
listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SECURE_KAFKA_PLAIN_USER="$SECURE_KAFKA_PLAIN_PASSWORD";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.connections.max.reauth.ms=$SECURE_KAFKA_REAUTH_MS
ssl.keystore.type=PKCS12
ssl.keystore.location=$SECURE_DIR/server.p12
ssl.keystore.password=$SECURE_KEYSTORE_PASSWORD
ssl.client.auth=none
log.dirs=$data
$(kafka_single_node_props)
EOF
  )
  local cp="$KAFKA_DIR/libs/*"
  local log4j="-Dlog4j2.configurationFile=$ROOT/scripts/stack/log4j2.properties"
  if [ ! -f "$data/meta.properties" ]; then
    local cluster_id; cluster_id="$(java -cp "$cp" "$log4j" kafka.tools.StorageTool random-uuid)"
    java -cp "$cp" "$log4j" kafka.tools.StorageTool format -t "$cluster_id" -c "$props" --standalone \
      --add-scram "SCRAM-SHA-256=[name=$SECURE_KAFKA_SCRAM_USER,password=$SECURE_KAFKA_SCRAM_PASSWORD]" \
      --add-scram "SCRAM-SHA-512=[name=$SECURE_KAFKA_SCRAM_USER,password=$SECURE_KAFKA_SCRAM_PASSWORD]" \
      >"$RUN_DIR/secure-kafka-format.log" 2>&1
  fi
  setsid nohup java -Xms128m -Xmx512m -XX:+UseG1GC -cp "$cp" "$log4j" kafka.Kafka "$props" \
    >"$RUN_DIR/secure-kafka.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/secure-kafka.pid"
}

start_secure_registry() {
  if pid_alive secure-registry || port_open "$SECURE_REGISTRY_PORT"; then
    log "secure registry front already running on $SECURE_REGISTRY_PORT"
    return 0
  fi
  # Credentials go through the environment, not argv (argv is visible to every user in ps).
  FRONT_PORT="$SECURE_REGISTRY_PORT" FRONT_UPSTREAM="http://127.0.0.1:$REGISTRY_PORT" \
    FRONT_CERT="$SECURE_DIR/server.pem" FRONT_KEY="$SECURE_DIR/server.key" \
    FRONT_USER="$SECURE_REGISTRY_USER" FRONT_PASSWORD="$SECURE_REGISTRY_PASSWORD" \
    setsid nohup node "$ROOT/scripts/stack/registry-front.mjs" >"$RUN_DIR/secure-registry.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/secure-registry.pid"
}

start_secure_redis() {
  if pid_alive secure-redis || port_open "$SECURE_REDIS_PORT"; then
    log "secure redis already running on $SECURE_REDIS_PORT"
    return 0
  fi
  local conf="$SECURE_DIR/redis.conf"
  mkdir -p "$SECURE_DIR/redis"
  (
    umask 077
    cat >"$conf" <<EOF
bind 127.0.0.1
port 0
tls-port $SECURE_REDIS_PORT
tls-cert-file $SECURE_DIR/server.pem
tls-key-file $SECURE_DIR/server.key
tls-ca-cert-file $SECURE_DIR/ca.pem
tls-auth-clients no
save ""
appendonly no
dir $SECURE_DIR/redis
daemonize yes
pidfile $RUN_DIR/secure-redis.pid
logfile $RUN_DIR/secure-redis.log
user default off
user $SECURE_REDIS_USER on >$SECURE_REDIS_PASSWORD ~* &* +@all
EOF
  )
  redis-server "$conf"
}

write_secure_endpoints() {
  local tmp="$SECURE_ENDPOINTS.tmp.$$"
  (
    umask 077
    cat >"$tmp" <<EOF
SECURE_CA_FILE=$SECURE_DIR/ca.pem
SECURE_TLS_SERVERNAME=localhost
SECURE_KAFKA_BROKERS=127.0.0.1:$SECURE_KAFKA_PORT
SECURE_KAFKA_CA_FILE=$SECURE_DIR/ca.pem
SECURE_KAFKA_REAUTH_MS=$SECURE_KAFKA_REAUTH_MS
SECURE_KAFKA_PLAIN_USER=$SECURE_KAFKA_PLAIN_USER
SECURE_KAFKA_PLAIN_PASSWORD=$SECURE_KAFKA_PLAIN_PASSWORD
SECURE_KAFKA_SCRAM_USER=$SECURE_KAFKA_SCRAM_USER
SECURE_KAFKA_SCRAM_PASSWORD=$SECURE_KAFKA_SCRAM_PASSWORD
SECURE_SCHEMA_REGISTRY_URL=https://127.0.0.1:$SECURE_REGISTRY_PORT/apis/ccompat/v7
SECURE_SCHEMA_REGISTRY_CA_FILE=$SECURE_DIR/ca.pem
SECURE_SCHEMA_REGISTRY_USER=$SECURE_REGISTRY_USER
SECURE_SCHEMA_REGISTRY_PASSWORD=$SECURE_REGISTRY_PASSWORD
SECURE_REDIS_URL=rediss://127.0.0.1:$SECURE_REDIS_PORT
SECURE_REDIS_CA_FILE=$SECURE_DIR/ca.pem
SECURE_REDIS_USER=$SECURE_REDIS_USER
SECURE_REDIS_PASSWORD=$SECURE_REDIS_PASSWORD
EOF
  )
  mv -f "$tmp" "$SECURE_ENDPOINTS"
}

# Starts the secured services (after the plain ones: the registry front needs the registry).
secure_up() {
  command -v openssl >/dev/null || { log "--secure needs openssl"; return 1; }
  mkdir -p "$SECURE_DIR"
  chmod 700 "$SECURE_DIR"
  secure_credentials
  secure_certs
  start_secure_redis
  start_secure_kafka
  start_secure_registry
  wait_for secure-redis secure_redis_ok "$RUN_DIR/secure-redis.log"
  wait_for secure-kafka secure_kafka_ok "$RUN_DIR/secure-kafka.log"
  wait_for secure-registry secure_registry_ok "$RUN_DIR/secure-registry.log"
  write_secure_endpoints
  log "secured endpoints in $SECURE_ENDPOINTS"
}

# Stops what secure_up started (by pid file) and removes the endpoints file.
secure_down() {
  stop_one secure-registry
  stop_one secure-kafka
  stop_one secure-redis
  rm -f "$SECURE_ENDPOINTS"
}

secure_status() {
  [ -f "$SECURE_DIR/credentials.env" ] || { echo "secure    not set up (up --secure)"; return 0; }
  set -a
  # shellcheck disable=SC1091
  . "$SECURE_DIR/credentials.env"
  set +a
  local rc=0
  if secure_kafka_ok; then echo "s-kafka   up   SASL_SSL 127.0.0.1:$SECURE_KAFKA_PORT"; else echo "s-kafka   down"; rc=1; fi
  if secure_registry_ok; then echo "s-registry up  https://127.0.0.1:$SECURE_REGISTRY_PORT"; else echo "s-registry down"; rc=1; fi
  if secure_redis_ok; then echo "s-redis   up   rediss://127.0.0.1:$SECURE_REDIS_PORT"; else echo "s-redis   down"; rc=1; fi
  return $rc
}

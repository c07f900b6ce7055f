#!/usr/bin/env bash
# Local etcd + single-node Kafka (KRaft) for tests and the demo. Loopback only.
#
#   scripts/services.sh start [RUN_DIR]      fresh services; last stdout line = RUN_DIR
#   scripts/services.sh stop RUN_DIR         stop both, delete data (KEEP_LOGS=1 keeps *.log)
#   scripts/services.sh stop-kafka RUN_DIR   stop only the broker, keep its data
#   scripts/services.sh start-kafka RUN_DIR  restart the broker, wait until ready
#   scripts/services.sh start-etcd RUN_DIR NAME   start an extra etcd (below), wait until healthy;
#                                                 last stdout line = its client URL
#   scripts/services.sh start-etcd-cluster RUN_DIR  start etcd-m1..3 together; last line = their URLs
#   scripts/services.sh stop-etcd RUN_DIR NAME    stop an extra etcd, keep its data (a member rejoins
#                                                 with start-etcd)
#   scripts/services.sh remove-etcd RUN_DIR NAME  stop it and delete its data; `stop` does so for all
#   scripts/services.sh start-cluster [RUN_DIR]  a 3-node Kafka cluster instead (no etcd; see below)
#   scripts/services.sh stop-node RUN_DIR N  kill -9 cluster node N (1-3), keep its data
#   scripts/services.sh start-node RUN_DIR N restart cluster node N, wait until ready
#
# Env: ETCD_PORT (23790) ETCD_PEER_PORT (23800) KAFKA_PORT (29092)
#      KAFKA_CONTROLLER_PORT (29093) KAFKA_SASL_PORT (29094) KAFKA_SSL_PORT (29095)
#      ETCD_EXTRA_PORT_BASE (ETCD_PEER_PORT + 1; the extra etcds use it and the next 9 ports)
#      KAFKA_VERSION LOGAGENT_CACHE KEEP_LOGS
# Callers read RUN_DIR/services.env (ETCD_ENDPOINTS, KAFKA_BROKERS, ...).
#
# Kafka client listeners, all on 127.0.0.1 (controller/inter-broker stay PLAINTEXT):
#   KAFKA_PORT       PLAINTEXT
#   KAFKA_SASL_PORT  SASL_PLAINTEXT: PLAIN logagent/plain-secret,
#                    SCRAM-SHA-256 scram256/scram-secret-256, SCRAM-SHA-512 scram512/scram-secret-512
#   KAFKA_SSL_PORT   SSL with a per-run test CA (RUN_DIR/tls); client certs are requested,
#                    not required. Server cert: CN/DNS localhost + IP 127.0.0.1.
# Authorizer: StandardAuthorizer (KRaft ACLs), open by default: a topic without ACLs is open to every
# client (allow.everyone.if.no.acl.found). User:ANONYMOUS (the controller, inter-broker and PLAINTEXT
# listeners, so the tests' admin client on KAFKA_PORT) is a super user: tests add ACLs through it,
# e.g. DENY WRITE for User:logagent on one topic (test/e2e/dead-letter.test.ts).
#
# Extra etcds, started only by the tests that need them (loopback, fresh data dir, per-run PKI):
#   etcd-tls    https on ETCD_EXTRA_PORT_BASE, server certificate from RUN_DIR/tls (IP SAN 127.0.0.1);
#               also listening on 127.0.0.2, an address the certificate does not name
#   etcd-mtls   https on BASE+2, and clients must present a certificate signed by the test CA
#   etcd-m1..3  one 3-member cluster over http: clients on BASE+4, BASE+6, BASE+8
# Tests enable etcd auth themselves (etcdctl), as an operator would.
# Cluster mode (start-cluster): three KRaft nodes, each broker and controller (a 3-voter quorum), on
# 127.0.0.1 ports KAFKA_CLUSTER_PORT + 0/10/20 (PLAINTEXT) and + 1/11/21 (controller); replication
# factor 3 and min.insync.replicas=2 by default, unclean leader election off; a dead node is fenced
# after 3 s (broker.session.timeout.ms) so that leadership moves quickly. Fresh data each start.
# RUN_DIR/services.env has KAFKA_CLUSTER_BROKERS; stop RUN_DIR stops and wipes it like the rest.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KAFKA_VERSION=${KAFKA_VERSION:-4.1.2}
LOG4J_VERSION=${LOG4J_VERSION:-2.24.3}
ETCD_PORT=${ETCD_PORT:-23790}
ETCD_PEER_PORT=${ETCD_PEER_PORT:-23800}
ETCD_EXTRA_PORT_BASE=${ETCD_EXTRA_PORT_BASE:-$((ETCD_PEER_PORT + 1))}
KAFKA_PORT=${KAFKA_PORT:-29092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-29093}
KAFKA_SASL_PORT=${KAFKA_SASL_PORT:-29094}
KAFKA_SSL_PORT=${KAFKA_SSL_PORT:-29095}
KAFKA_CLUSTER_PORT=${KAFKA_CLUSTER_PORT:-29100}
CLUSTER_NODES=(1 2 3)
# Test-only credentials (also written to services.env for the tests).
SASL_PLAIN_USER=logagent SASL_PLAIN_PASSWORD=plain-secret
SCRAM256_USER=scram256 SCRAM256_PASSWORD=scram-secret-256
SCRAM512_USER=scram512 SCRAM512_PASSWORD=scram-secret-512
KAFKA_LIBS=${LOGAGENT_CACHE:-$HOME/.cache/logagent}/kafka-$KAFKA_VERSION/libs
KAFKA_READY_TIMEOUT=${KAFKA_READY_TIMEOUT:-90}
MARKER=.logagent-services   # only dirs holding this file are ever wiped

log() { echo "services: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- tools
ensure_tools() {
  local pkgs=()
  command -v etcd >/dev/null || pkgs+=(etcd-server)
  command -v etcdctl >/dev/null || pkgs+=(etcd-client)
  command -v java >/dev/null || pkgs+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || pkgs+=(maven)
  if ((${#pkgs[@]})); then
    log "installing ${pkgs[*]} with apt-get"
    local sudo=(); [[ $(id -u) == 0 ]] || sudo=(sudo -n)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >&2
  fi
}

# Kafka has no apt package: copy its jars (and a log4j2 backend) out of
# Maven Central once; the marker file makes later runs skip mvn entirely.
ensure_kafka_jars() {
  local home; home=$(dirname "$KAFKA_LIBS")
  [[ -f $home/.complete ]] && return 0
  log "fetching Kafka $KAFKA_VERSION jars with mvn into $KAFKA_LIBS (one-off)"
  mkdir -p "$home"
  local tmp; tmp=$(mktemp -d "$home/libs.tmp.XXXXXX")
  if ! mvn -B -f "$ROOT/scripts/kafka-pom.xml" \
      -Dkafka.version="$KAFKA_VERSION" -Dlog4j.version="$LOG4J_VERSION" \
      dependency:copy-dependencies -DoutputDirectory="$tmp" >"$home/mvn.log" 2>&1; then
    tail -n 30 "$home/mvn.log" >&2; rm -rf "$tmp"; die "mvn could not fetch Kafka $KAFKA_VERSION"
  fi
  rm -rf "$KAFKA_LIBS" && mv "$tmp" "$KAFKA_LIBS"
  ls "$KAFKA_LIBS" >"$home/.complete"
}

# ---------------------------------------------------------------- helpers
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

kafka_ports_free() { # port...
  local port
  for port in "$@"; do
    port_in_use "$port" &&
      die "port $port busy (another Kafka? set KAFKA_PORT/KAFKA_CONTROLLER_PORT/KAFKA_SASL_PORT/KAFKA_SSL_PORT)"
  done
  return 0
}

# PID from RUN_DIR/<name>.pid if that process is still ours. The cmdline check
# guards against a recycled PID (e.g. after a reboot) belonging to something else.
live_pid() {
  local f=$RUN_DIR/$1.pid pid
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$RUN_DIR" &&
    echo "$pid"
}

stop_proc() { # name: SIGTERM, up to 15 s grace, then SIGKILL; never fails
  local name=$1 pid i
  if pid=$(live_pid "$name"); then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name did not stop in 15 s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
  fi
  rm -f "$RUN_DIR/$name.pid"
}

spawn() { # name cmd...: detached (own session) so it outlives this script
  local name=$1; shift
  # No fd may stay attached to the caller, or `$(services.sh start)` would hang.
  # setsid forks when the caller leads a process group (job control on), so $! would
  # be a short-lived setsid; let the exec'd process write its own pid instead.
  local pidfile=$RUN_DIR/$name.pid i
  rm -f "$pidfile"
  setsid nohup bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@" \
    </dev/null >>"$RUN_DIR/$name.out" 2>&1 &
  for ((i = 0; i < 100; i++)); do [[ -s $pidfile ]] && return 0; sleep 0.05; done
  die "$name did not start"
}

# ---------------------------------------------------------------- etcd
start_etcd() {
  port_in_use "$ETCD_PORT" && die "port $ETCD_PORT busy (another etcd? set ETCD_PORT)"
  port_in_use "$ETCD_PEER_PORT" && die "port $ETCD_PEER_PORT busy (set ETCD_PEER_PORT)"
  local peer=http://127.0.0.1:$ETCD_PEER_PORT client=http://127.0.0.1:$ETCD_PORT
  log "starting etcd on $client"
  # etcd reads every ETCD_* env var as a flag; drop ours so they are not misread.
  spawn etcd env -u ETCD_PORT -u ETCD_PEER_PORT -u ETCD_ENDPOINTS \
    etcd --name logagent --data-dir "$RUN_DIR/etcd-data" \
    --listen-client-urls "$client" --advertise-client-urls "$client" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "logagent=$peer" --initial-cluster-state new \
    --logger zap --log-outputs "$RUN_DIR/etcd.log"
  local i
  for ((i = 0; i < 150; i++)); do
    ETCDCTL_API=3 etcdctl --endpoints="127.0.0.1:$ETCD_PORT" --dial-timeout=1s \
      endpoint health >/dev/null 2>&1 && return 0
    live_pid etcd >/dev/null || break
    sleep 0.2
  done
  tail -n 40 "$RUN_DIR/etcd.log" "$RUN_DIR/etcd.out" >&2 2>/dev/null || true
  die "etcd did not become healthy"
}

# ---------------------------------------------------------------- extra etcds
EXTRA_ETCDS="etcd-tls etcd-mtls etcd-m1 etcd-m2 etcd-m3"

extra_etcd_port() { # name -> its client port; the peer port is the next one
  local b=$ETCD_EXTRA_PORT_BASE
  case $1 in
    etcd-tls) echo "$b" ;;
    etcd-mtls) echo $((b + 2)) ;;
    etcd-m[123]) echo $((b + 2 + 2 * ${1#etcd-m})) ;;
    *) die "unknown etcd $1 (known: $EXTRA_ETCDS)" ;;
  esac
}

extra_etcd_url() { # name -> client URL
  local scheme=http
  [[ $1 == etcd-tls || $1 == etcd-mtls ]] && scheme=https
  echo "$scheme://127.0.0.1:$(extra_etcd_port "$1")"
}

# etcdctl flags that reach this etcd (CA, and the client certificate where one is required).
extra_etcdctl() { # name args...
  local name=$1 tls=$RUN_DIR/tls; shift
  local flags=(--endpoints="$(extra_etcd_url "$name")" --dial-timeout=1s)
  [[ $name == etcd-tls || $name == etcd-mtls ]] && flags+=(--cacert="$tls/ca.pem")
  [[ $name == etcd-mtls ]] && flags+=(--cert="$tls/client.pem" --key="$tls/client.key")
  ETCDCTL_API=3 etcdctl "${flags[@]}" "$@"
}

spawn_extra_etcd() { # name: no wait (cluster members wait for each other)
  local name=$1 port peer_port client peer listen tls=$RUN_DIR/tls args=()
  [[ -f $tls/ca.pem ]] || die "$RUN_DIR has no test PKI (run start first)"
  if live_pid "$name" >/dev/null; then log "$name already running"; return 0; fi
  port=$(extra_etcd_port "$name"); peer_port=$((port + 1))
  client=$(extra_etcd_url "$name"); peer=http://127.0.0.1:$peer_port listen=$client
  [[ $name == etcd-tls ]] && listen+=,https://127.0.0.2:$port
  port_in_use "$port" && die "port $port busy (set ETCD_EXTRA_PORT_BASE)"
  port_in_use "$peer_port" && die "port $peer_port busy (set ETCD_EXTRA_PORT_BASE)"
  case $name in
    etcd-tls) args=(--cert-file "$tls/server.pem" --key-file "$tls/server.key") ;;
    etcd-mtls) args=(--cert-file "$tls/server.pem" --key-file "$tls/server.key" --client-cert-auth --trusted-ca-file "$tls/ca.pem") ;;
    etcd-m*)
      local m cluster=()
      for m in 1 2 3; do cluster+=("etcd-m$m=http://127.0.0.1:$(($(extra_etcd_port "etcd-m$m") + 1))"); done
      args=(--initial-cluster "$(IFS=,; echo "${cluster[*]}")" --initial-cluster-token "logagent-${RUN_DIR//\//-}") ;;
  esac
  [[ $name == etcd-m* ]] || args+=(--initial-cluster "$name=$peer")
  # A restarted member keeps its data dir (and ignores the --initial-* flags): that is how it rejoins.
  [[ -d $RUN_DIR/$name-data ]] && log "restarting $name on $client" || log "starting $name on $client"
  spawn "$name" env -u ETCD_PORT -u ETCD_PEER_PORT -u ETCD_ENDPOINTS -u ETCD_EXTRA_PORT_BASE \
    etcd --name "$name" --data-dir "$RUN_DIR/$name-data" \
    --listen-client-urls "$listen" --advertise-client-urls "$client" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster-state new "${args[@]}" \
    --logger zap --log-outputs "$RUN_DIR/$name.log"
}

wait_extra_etcd() { # name
  local i
  for ((i = 0; i < 150; i++)); do
    # With auth enabled, "permission denied" still counts as healthy: the request reached consensus.
    extra_etcdctl "$1" endpoint health >/dev/null 2>&1 && return 0
    live_pid "$1" >/dev/null || break
    sleep 0.2
  done
  tail -n 40 "$RUN_DIR/$1.log" "$RUN_DIR/$1.out" >&2 2>/dev/null || true
  die "$1 did not become healthy"
}

remove_extra_etcd() { # name
  stop_proc "$1"
  rm -rf "${RUN_DIR:?}/$1-data"
}

stop_extra_etcds() {
  local name
  for name in $EXTRA_ETCDS; do remove_extra_etcd "$name"; done
}

# ---------------------------------------------------------------- tls
# Per-run throwaway PKI in RUN_DIR/tls: test CA, server cert (CN/DNS localhost,
# IP 127.0.0.1) and client cert, all RSA 2048 signed by the CA (OpenSSL 3 `req -x509
# -CA`). PEM files for the tests (ca.pem, client.pem, client.key unencrypted); for
# the broker a PKCS12 keystore (server key+chain) and a PKCS12 truststore (CA).
# keytool makes the truststore: OpenSSL 3.0 cannot mark a cert as trusted for Java.
make_tls() {
  local dir=$RUN_DIR/tls
  (umask 077 && mkdir -p "$dir")
  cat >"$dir/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  TLS_STORE_PASSWORD=$(openssl rand -hex 16)
  cert() { # name ext subject [CA args...]; keys stay 0600 (umask)
    local n=$1 ext=$2 subj=$3; shift 3
    openssl req -x509 -config openssl.cnf -extensions "$ext" -newkey rsa:2048 -noenc \
      -keyout "$n.key" -out "$n.pem" -days 30 -subj "$subj" "$@"
  }
  # set -e does not apply inside an `if` condition, hence the && chain.
  if ! (
    cd "$dir" && umask 077 &&
    cert ca ca_ext "/CN=logagent test CA" &&
    cert server server_ext "/CN=localhost" -CA ca.pem -CAkey ca.key &&
    cert client client_ext "/CN=logagent-client" -CA ca.pem -CAkey ca.key &&
    openssl pkcs12 -export -name server -in server.pem -inkey server.key -certfile ca.pem \
      -out server.p12 -passout "pass:$TLS_STORE_PASSWORD" &&
    keytool -importcert -noprompt -alias ca -file ca.pem -storetype PKCS12 \
      -keystore truststore.p12 -storepass "$TLS_STORE_PASSWORD" &&
    chmod 644 ca.pem client.pem server.pem
  ) >"$dir/tls.log" 2>&1; then
    tail -n 20 "$dir/tls.log" >&2; die "TLS material generation failed"
  fi
}

# ---------------------------------------------------------------- kafka
# The whole broker config lives here. Each entry of `listeners` is NAME:PROTOCOL:PORT;
# listener-specific sasl./ssl. keys are appended below (listener.name.<name lowercased>.*).
write_kafka_config() {
  local dir=$RUN_DIR/kafka-config tls=$RUN_DIR/tls
  local listeners=("PLAINTEXT:PLAINTEXT:$KAFKA_PORT" "SASL_PLAINTEXT:SASL_PLAINTEXT:$KAFKA_SASL_PORT"
    "SSL:SSL:$KAFKA_SSL_PORT")
  local l name proto port lst=() adv=() map=("CONTROLLER:PLAINTEXT")
  for l in "${listeners[@]}"; do
    IFS=: read -r name proto port <<<"$l"
    lst+=("$name://127.0.0.1:$port"); adv+=("$name://127.0.0.1:$port"); map+=("$name:$proto")
  done
  lst+=("CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT")
  mkdir -p "$dir"
  (IFS=,; cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=${lst[*]}
advertised.listeners=${adv[*]}
listener.security.protocol.map=${map[*]}
inter.broker.listener.name=PLAINTEXT
log.dirs=$RUN_DIR/kafka-data
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0

# ACLs, open unless a test adds some (see the header).
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=true
super.users=User:ANONYMOUS

# SASL_PLAINTEXT: PLAIN users live in the JAAS line; SCRAM users in cluster
# metadata (added by format_kafka_storage via StorageTool --add-scram).
listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SASL_PLAIN_USER="$SASL_PLAIN_PASSWORD";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;

# SSL: per-run test PKI from make_tls; client certificates optional.
listener.name.ssl.ssl.keystore.type=PKCS12
listener.name.ssl.ssl.keystore.location=$tls/server.p12
listener.name.ssl.ssl.keystore.password=$TLS_STORE_PASSWORD
listener.name.ssl.ssl.key.password=$TLS_STORE_PASSWORD
listener.name.ssl.ssl.truststore.type=PKCS12
listener.name.ssl.ssl.truststore.location=$tls/truststore.p12
listener.name.ssl.ssl.truststore.password=$TLS_STORE_PASSWORD
listener.name.ssl.ssl.client.auth=requested
EOF
  )
  write_log4j_config "$dir/log4j2.properties" "$RUN_DIR/kafka.log"
}

write_log4j_config() { # config-file log-file: the broker logs to one file
  cat >"$1" <<EOF
appender.file.type=File
appender.file.name=FILE
appender.file.fileName=$2
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=FILE
EOF
}

new_cluster_id() { # random 16-byte base64url; a leading '-' would be parsed as an option
  local id=-
  while [[ $id == -* ]]; do id=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='); done
  echo "$id"
}

wait_started() { # name log-file from-byte: until the broker logs that it started
  local name=$1 file=$2 from=$3 i
  for ((i = 0; i < KAFKA_READY_TIMEOUT * 5; i++)); do
    tail -c "+$from" "$file" 2>/dev/null | grep -q 'Kafka Server started' && return 0
    live_pid "$name" >/dev/null || { log "$name exited during startup"; return 1; }
    sleep 0.2
  done
  return 1
}

format_kafka_storage() {
  local id; id=$(new_cluster_id)
  java -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$RUN_DIR/kafka-config/log4j2.properties" \
    kafka.tools.StorageTool format -t "$id" -c "$RUN_DIR/kafka-config/server.properties" \
    --add-scram "SCRAM-SHA-256=[name=$SCRAM256_USER,password=$SCRAM256_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=$SCRAM512_USER,password=$SCRAM512_PASSWORD]" >&2 ||
    die "kafka storage format failed"
}

# Every port in the config's listeners= line (client listeners + controller).
kafka_config_ports() {
  local l; l=$(sed -n 's/^listeners=//p' "$RUN_DIR/kafka-config/server.properties")
  tr ',' '\n' <<<"$l" | sed 's/.*://'
}

start_kafka() {
  if live_pid kafka >/dev/null; then log "kafka already running"; return 0; fi
  [[ -f $RUN_DIR/kafka-config/server.properties ]] || die "$RUN_DIR has no kafka config (run start first)"
  # shellcheck disable=SC2046 # one port per word
  kafka_ports_free $(kafka_config_ports)
  # Only look at log lines written after this point (kafka.log is appended to on restart).
  local from; from=$(($(stat -c %s "$RUN_DIR/kafka.log" 2>/dev/null || echo 0) + 1))
  log "starting kafka on 127.0.0.1 ports $(kafka_config_ports | paste -sd' ')"
  spawn kafka java -Xmx512m -Xms256m -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$RUN_DIR/kafka-config/log4j2.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$RUN_DIR/kafka-config/server.properties"
  wait_started kafka "$RUN_DIR/kafka.log" "$from" && return 0
  tail -n 40 "$RUN_DIR/kafka.log" >&2 2>/dev/null || true
  tail -n 20 "$RUN_DIR/kafka.out" >&2 2>/dev/null || true
  die "kafka not ready after ${KAFKA_READY_TIMEOUT}s (logs in $RUN_DIR)"
}

# ---------------------------------------------------------------- cluster
node_port() { echo $((KAFKA_CLUSTER_PORT + 10 * ($1 - 1) + ${2:-0})); } # node [offset]

write_node_config() { # node
  local n=$1 dir=$RUN_DIR/node$1 voters=() i
  for i in "${CLUSTER_NODES[@]}"; do voters+=("$i@127.0.0.1:$(node_port "$i" 1)"); done
  mkdir -p "$dir"
  (IFS=,; cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=$n
controller.quorum.voters=${voters[*]}
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$(node_port "$n"),CONTROLLER://127.0.0.1:$(node_port "$n" 1)
advertised.listeners=PLAINTEXT://127.0.0.1:$(node_port "$n")
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false
auto.create.topics.enable=true
offsets.topic.replication.factor=3
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=3000
replica.lag.time.max.ms=5000
EOF
  )
  write_log4j_config "$dir/log4j2.properties" "$dir/kafka.log"
}

spawn_node() { # node: start it, do not wait
  local n=$1 dir=$RUN_DIR/node$1
  port_in_use "$(node_port "$n")" && die "port $(node_port "$n") busy (set KAFKA_CLUSTER_PORT)"
  port_in_use "$(node_port "$n" 1)" && die "port $(node_port "$n" 1) busy (set KAFKA_CLUSTER_PORT)"
  echo $(($(stat -c %s "$dir/kafka.log" 2>/dev/null || echo 0) + 1)) >"$dir/log-from"
  spawn "node$n" java -Xmx384m -Xms128m -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties"
}

wait_node() { # node: until it logs that it started (a node waits for a quorum: start them all first)
  local n=$1 dir=$RUN_DIR/node$1
  wait_started "node$n" "$dir/kafka.log" "$(<"$dir/log-from")" && return 0
  tail -n 40 "$dir/kafka.log" >&2 2>/dev/null || true
  die "cluster node $n not ready after ${KAFKA_READY_TIMEOUT}s (logs in $dir)"
}

cmd_start_cluster() {
  ensure_tools
  ensure_kafka_jars
  use_run_dir logagent-cluster "${1:-}"
  printf 'KAFKA_LIBS=%q\nKAFKA_CLUSTER_PORT=%q\n' "$KAFKA_LIBS" "$KAFKA_CLUSTER_PORT" >"$RUN_DIR/$MARKER"
  trap 'rc=$?; if ((rc)); then KEEP_LOGS=1 stop_all; fi' EXIT
  trap 'exit 130' INT TERM
  local id n brokers=()
  id=$(new_cluster_id)
  for n in "${CLUSTER_NODES[@]}"; do
    write_node_config "$n"
    java -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$RUN_DIR/node$n/log4j2.properties" \
      kafka.tools.StorageTool format -t "$id" -c "$RUN_DIR/node$n/server.properties" >&2 ||
      die "kafka storage format failed for node $n"
    brokers+=("127.0.0.1:$(node_port "$n")")
  done
  log "starting a 3-node Kafka cluster: ${brokers[*]}"
  for n in "${CLUSTER_NODES[@]}"; do spawn_node "$n"; done
  for n in "${CLUSTER_NODES[@]}"; do wait_node "$n"; done
  (IFS=,; echo "KAFKA_CLUSTER_BROKERS=${brokers[*]}") >"$RUN_DIR/services.env"
  echo "KAFKA_CLUSTER_RUN_DIR=$RUN_DIR" >>"$RUN_DIR/services.env"
  trap - EXIT INT TERM
  log "cluster ready: ${brokers[*]}"
  echo "$RUN_DIR"
}

node_arg() { # the N of stop-node/start-node, checked
  [[ ${1:-} =~ ^[123]$ ]] || die "usage: $0 stop-node|start-node RUN_DIR N (N = 1, 2 or 3)"
  [[ -f $RUN_DIR/node$1/server.properties ]] || die "$RUN_DIR has no cluster node $1 (run start-cluster first)"
}

kill_node() { # node: kill -9, keep its data
  local n=$1 pid
  if pid=$(live_pid "node$n"); then
    log "killing cluster node $n (pid $pid)"
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$RUN_DIR/node$n.pid"
}

# ---------------------------------------------------------------- commands
stop_all() {
  local n
  # A cluster is wiped anyway, and its last node would wait for a quorum that is gone: no grace.
  for n in "${CLUSTER_NODES[@]}"; do kill_node "$n"; done
  stop_proc kafka
  stop_proc etcd
  stop_extra_etcds
  rm -rf "$RUN_DIR/etcd-data" "$RUN_DIR/kafka-data" "$RUN_DIR/kafka-config" "$RUN_DIR/tls" \
    "$RUN_DIR/services.env" "$RUN_DIR"/node[123]/data
  if [[ ${KEEP_LOGS:-0} == 1 ]]; then
    log "logs kept in $RUN_DIR"
  elif [[ -f $RUN_DIR/$MARKER ]]; then
    rm -rf "$RUN_DIR"
  fi
}

use_run_dir() { # prefix [dir]: RUN_DIR, absolute, empty (a new temporary folder when none is given)
  RUN_DIR=${2:-$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")}
  mkdir -p "$RUN_DIR"; RUN_DIR=$(cd "$RUN_DIR" && pwd)
  if [[ -n $(ls -A "$RUN_DIR") ]]; then
    # Reusing a run dir: stop what it ran and wipe it, but never wipe a foreign dir.
    [[ -f $RUN_DIR/$MARKER ]] || die "$RUN_DIR is not empty and not a services run dir"
    KEEP_LOGS=0 stop_all
    mkdir -p "$RUN_DIR"
  fi
}

cmd_start() {
  ensure_tools
  ensure_kafka_jars
  use_run_dir logagent-services "${1:-}"
  # The marker also records settings that later stop-kafka/start-kafka calls reuse.
  printf 'KAFKA_LIBS=%q\nKAFKA_PORT=%q\nKAFKA_CONTROLLER_PORT=%q\nKAFKA_SASL_PORT=%q\nKAFKA_SSL_PORT=%q\nETCD_EXTRA_PORT_BASE=%q\n' \
    "$KAFKA_LIBS" "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$KAFKA_SASL_PORT" "$KAFKA_SSL_PORT" "$ETCD_EXTRA_PORT_BASE" \
    >"$RUN_DIR/$MARKER"
  # On any failure (or Ctrl-C) stop what was started; keep logs for debugging.
  trap 'rc=$?; if ((rc)); then KEEP_LOGS=1 stop_all; fi' EXIT
  trap 'exit 130' INT TERM
  # Fail fast, before etcd/certs/format; start_kafka checks again (from the config).
  kafka_ports_free "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$KAFKA_SASL_PORT" "$KAFKA_SSL_PORT"
  start_etcd
  make_tls
  write_kafka_config
  format_kafka_storage
  start_kafka
  cat >"$RUN_DIR/services.env" <<EOF
ETCD_ENDPOINTS=127.0.0.1:$ETCD_PORT
KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
SERVICES_RUN_DIR=$RUN_DIR
KAFKA_LIBS=$KAFKA_LIBS
KAFKA_SASL_BROKERS=127.0.0.1:$KAFKA_SASL_PORT
KAFKA_SSL_BROKERS=127.0.0.1:$KAFKA_SSL_PORT
KAFKA_TLS_CA=$RUN_DIR/tls/ca.pem
KAFKA_TLS_CLIENT_CERT=$RUN_DIR/tls/client.pem
KAFKA_TLS_CLIENT_KEY=$RUN_DIR/tls/client.key
KAFKA_SASL_PLAIN_USER=$SASL_PLAIN_USER
KAFKA_SASL_PLAIN_PASSWORD=$SASL_PLAIN_PASSWORD
KAFKA_SCRAM256_USER=$SCRAM256_USER
KAFKA_SCRAM256_PASSWORD=$SCRAM256_PASSWORD
KAFKA_SCRAM512_USER=$SCRAM512_USER
KAFKA_SCRAM512_PASSWORD=$SCRAM512_PASSWORD
ETCD_TLS_CA=$RUN_DIR/tls/ca.pem
ETCD_TLS_CLIENT_CERT=$RUN_DIR/tls/client.pem
ETCD_TLS_CLIENT_KEY=$RUN_DIR/tls/client.key
EOF
  trap - EXIT INT TERM
  log "ready: etcd 127.0.0.1:$ETCD_PORT, kafka 127.0.0.1:$KAFKA_PORT" \
    "(SASL $KAFKA_SASL_PORT, SSL $KAFKA_SSL_PORT)"
  echo "$RUN_DIR"
}

need_dir() {
  [[ -n ${1:-} ]] || die "usage: $0 $2 RUN_DIR"
  RUN_DIR=$(cd "$1" 2>/dev/null && pwd) || RUN_DIR=$1
  # shellcheck source=/dev/null
  if [[ -f $RUN_DIR/$MARKER ]]; then source "$RUN_DIR/$MARKER"; fi
}

case ${1:-} in
  start) shift; cmd_start "$@" ;;
  stop) need_dir "${2:-}" stop; [[ -d $RUN_DIR ]] || exit 0; stop_all ;;
  stop-kafka) need_dir "${2:-}" stop-kafka; [[ -d $RUN_DIR ]] || exit 0; stop_proc kafka ;;
  start-kafka) need_dir "${2:-}" start-kafka; [[ -d $RUN_DIR ]] || die "no such run dir: $RUN_DIR"; start_kafka ;;
  start-etcd)
    need_dir "${2:-}" "start-etcd"; [[ -n ${3:-} ]] || die "usage: $0 start-etcd RUN_DIR NAME ($EXTRA_ETCDS)"
    spawn_extra_etcd "$3"; wait_extra_etcd "$3"; extra_etcd_url "$3" ;;
  start-etcd-cluster)
    need_dir "${2:-}" start-etcd-cluster
    for m in etcd-m1 etcd-m2 etcd-m3; do spawn_extra_etcd "$m"; done
    for m in etcd-m1 etcd-m2 etcd-m3; do wait_extra_etcd "$m"; done
    echo "$(extra_etcd_url etcd-m1),$(extra_etcd_url etcd-m2),$(extra_etcd_url etcd-m3)" ;;
  stop-etcd)
    need_dir "${2:-}" "stop-etcd"; [[ -n ${3:-} ]] || die "usage: $0 stop-etcd RUN_DIR NAME"
    extra_etcd_port "$3" >/dev/null; stop_proc "$3" ;;
  remove-etcd)
    need_dir "${2:-}" "remove-etcd"; [[ -n ${3:-} ]] || die "usage: $0 remove-etcd RUN_DIR NAME"
    extra_etcd_port "$3" >/dev/null; remove_extra_etcd "$3" ;;
  start-cluster) shift; cmd_start_cluster "$@" ;;
  stop-node) need_dir "${2:-}" stop-node; node_arg "${3:-}"; kill_node "$3" ;;
  start-node) need_dir "${2:-}" start-node; node_arg "${3:-}"; live_pid "node$3" >/dev/null || { spawn_node "$3"; wait_node "$3"; } ;;
  *) die "usage: $0 start [RUN_DIR] | stop RUN_DIR | stop-kafka RUN_DIR | start-kafka RUN_DIR | start-etcd RUN_DIR NAME | start-etcd-cluster RUN_DIR | stop-etcd RUN_DIR NAME | remove-etcd RUN_DIR NAME | start-cluster [RUN_DIR] | stop-node RUN_DIR N | start-node RUN_DIR N" ;;
esac

#!/usr/bin/env bash
# The agent's main job end to end, on this machine: starts a local etcd and
# Kafka, builds the linux-x64 binary and copies it alone into an empty folder,
# puts a collect list in etcd, runs `logagent -c conf.ini`, appends lines to a
# log file and reads them back from Kafka. Everything is stopped at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

scripts/ensure-deps.sh
say "Building the release binary"
node_modules/.bin/bun scripts/build.ts linux-x64

say "Starting etcd and Kafka on loopback"
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/logagent-demo-services.XXXXXX")
rmdir "$RUN_DIR"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/logagent-demo.XXXXXX")
AGENT_PID=
cleanup() {
  [[ -n $AGENT_PID ]] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null || true
  scripts/services.sh stop "$RUN_DIR" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
scripts/services.sh start "$RUN_DIR" >/dev/null
# shellcheck disable=SC1091
. "$RUN_DIR/services.env"

say "Installing the agent: one file in an empty folder, and a conf.ini"
cp dist/logagent-linux-x64 "$WORK/logagent"
cat >"$WORK/conf.ini" <<INI
[kafka]
address = $KAFKA_BROKERS
chan_max_size = 100000

[etcd]
address = $ETCD_ENDPOINTS
timeout = 5
collect_log_key = /logagent/%s/collect_config

[agent]
ip = 192.0.2.10
# The files etcd may name: whoever can write the key cannot make the agent read anything else.
allow_paths = $WORK/*.log
INI
cat "$WORK/conf.ini"

say "Putting this host's collect list in etcd"
LIST="[{\"path\":\"$WORK/nginx-access.log\",\"topic\":\"web_log\"},{\"path\":\"$WORK/app.log\",\"topic\":\"app_log\"}]"
echo "etcdctl put /logagent/192.0.2.10/collect_config '$LIST'"
ETCDCTL_API=3 etcdctl --endpoints="$ETCD_ENDPOINTS" put /logagent/192.0.2.10/collect_config "$LIST" >/dev/null
touch "$WORK/nginx-access.log" "$WORK/app.log"
(cd "$WORK" && ./logagent check -c conf.ini)

say "Running: logagent -c conf.ini"
(cd "$WORK" && exec ./logagent -c conf.ini) 2>"$WORK/agent.log" &
AGENT_PID=$!
for _ in $(seq 100); do grep -q "Following file.*app.log" "$WORK/agent.log" && break; sleep 0.1; done

say "Appending lines to the log files"
for i in 1 2 3; do
  echo "127.0.0.1 - - [$(date -u +%d/%b/%Y:%H:%M:%S)] \"GET /page/$i HTTP/1.1\" 200 512" >>"$WORK/nginx-access.log"
  echo "$(date -u +%FT%TZ) INFO request $i served" >>"$WORK/app.log"
done
cat "$WORK/nginx-access.log" "$WORK/app.log"

say "Reading them back from Kafka"
consume() {
  java -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$RUN_DIR/kafka-config/log4j2.properties" \
    org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$KAFKA_BROKERS" \
    --topic "$1" --from-beginning --max-messages 3 --timeout-ms 30000 --property print.topic=true 2>/dev/null
}
got=$( { consume web_log; consume app_log; } | tee /dev/stderr | wc -l)

say "Stopping the agent (SIGTERM)"
kill -TERM "$AGENT_PID"
wait "$AGENT_PID" && echo "agent exited with code 0"
AGENT_PID=
echo "--- the agent's log ---"
cat "$WORK/agent.log"
if [[ $got -eq 6 ]]; then say "Demo passed: 6 lines written, 6 lines in Kafka"; else say "Demo FAILED: 6 lines written, $got in Kafka"; exit 1; fi

# shellcheck shell=bash disable=SC2034 # variables are used by the scripts sourcing this file
# Shared settings for install.sh / start.sh / stop.sh / topics.sh (sourced, not run).
# Everything is derived from this file's location so the scripts work from any cwd.

KAFKA_INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$KAFKA_INFRA_DIR/../.." && pwd)"

KAFKA_POM="$KAFKA_INFRA_DIR/pom.xml"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_POM" | head -n1)"
# Keyed by version AND pom hash: editing the pom (deps, exclusions) gets a fresh
# cache dir instead of silently reusing a stale jar set.
KAFKA_POM_HASH="$(sha256sum "$KAFKA_POM" | cut -c1-12)"
PLATFORM_CACHE_DIR="${PLATFORM_CACHE_DIR:-$HOME/.cache/lambda-platform}"
KAFKA_HOME="$PLATFORM_CACHE_DIR/kafka-$KAFKA_VERSION-$KAFKA_POM_HASH"
KAFKA_LIBS="$KAFKA_HOME/libs"
KAFKA_INSTALLED_MARKER="$KAFKA_HOME/.complete"

# Runtime state (config, data, logs, pid) lives in the repo's git-ignored .run/ by default.
PLATFORM_RUN_DIR="${PLATFORM_RUN_DIR:-$REPO_ROOT/.run}"
case "$PLATFORM_RUN_DIR" in /*) ;; *) PLATFORM_RUN_DIR="$PWD/$PLATFORM_RUN_DIR" ;; esac
KAFKA_STATE_DIR="$PLATFORM_RUN_DIR/kafka"
KAFKA_DATA_DIR="$KAFKA_STATE_DIR/data"
KAFKA_LOG_DIR="$KAFKA_STATE_DIR/logs"
KAFKA_CONFIG="$KAFKA_STATE_DIR/server.properties"
KAFKA_PID_FILE="$KAFKA_STATE_DIR/kafka.pid"

KAFKA_HOST=127.0.0.1
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_BROKERS="$KAFKA_HOST:$KAFKA_PORT"

log() { printf '[kafka] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Runs a Kafka CLI class with the cached jars; tool logging goes to stderr at WARN.
kafka_tool() {
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j.configuration="file:$KAFKA_INFRA_DIR/tools-log4j.properties" \
    -cp "$KAFKA_LIBS/*" "$@"
}

# True if $1 is alive and is the broker started with our config (guards against pid reuse).
kafka_pid_is_ours() {
  local pid="$1"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $KAFKA_CONFIG"
}

# Prints the pid from the pid file if that process is our running broker.
kafka_running_pid() {
  local pid
  [[ -f "$KAFKA_PID_FILE" ]] || return 1
  pid="$(cat "$KAFKA_PID_FILE" 2>/dev/null || true)"
  kafka_pid_is_ours "$pid" || return 1
  printf '%s\n' "$pid"
}

# Something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
  (exec 3<>"/dev/tcp/$KAFKA_HOST/$1") 2>/dev/null
}

# Broker answers a metadata request (independent client: kcat).
kafka_healthy() {
  kcat -b "$KAFKA_BROKERS" -L -m 3 >/dev/null 2>&1
}

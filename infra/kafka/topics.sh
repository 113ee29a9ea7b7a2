#!/usr/bin/env bash
# kafka-topics equivalent against the local broker, e.g.
#   infra/kafka/topics.sh --create --topic foo --partitions 3
#   infra/kafka/topics.sh --list
# --bootstrap-server is filled in from KAFKA_PORT unless given.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -f "$KAFKA_INSTALLED_MARKER" ]] || "$KAFKA_INFRA_DIR/install.sh"
args=("$@")
[[ " $* " == *" --bootstrap-server "* ]] || args=(--bootstrap-server "$KAFKA_BROKERS" "${args[@]}")
exec java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  -Dlog4j.configuration="file:$KAFKA_INFRA_DIR/tools-log4j.properties" \
  -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand "${args[@]}"

#!/usr/bin/env bash
# `npm test`: every tier (lint, typecheck, unit, integration, e2e) against real engines. Starts a
# ClickHouse server and a Kafka broker on loopback unless CLICKHOUSE_URL / KAFKA_BROKERS point at
# running ones, and stops exactly what it started.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node_modules
ensure_native_tensorflow
cd "$REPO_ROOT"

started=()
stop_started() {
  local service
  for service in "${started[@]}"; do
    bash "infra/$service/stop.sh" || log "stopping $service failed"
  done
}
trap stop_started EXIT

start_service() {
  local service=$1 line
  line=$(bash "infra/$service/start.sh" | tail -n 1)
  started+=("$service")
  export "${line?}"
  log "$line"
}

# The e2e tier validates docker-compose.yml with the compose CLI plugin (no engine needed).
bash infra/compose/install.sh
# ... and opens the dashboard in headless Chromium.
ensure_chromium

[[ -n "${CLICKHOUSE_URL:-}" ]] || start_service clickhouse
[[ -n "${KAFKA_BROKERS:-}" ]] || start_service kafka

# One task at a time: the machine has 2 cores and the integration tiers share the engines.
npx nx run-many -t lint typecheck test integration e2e --parallel=1 --output-style=stream "$@"

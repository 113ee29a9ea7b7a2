#!/usr/bin/env bash
# Stop the ClickHouse server that start.sh launched — and nothing else.
#
# Usage: infra/clickhouse/stop.sh
# Env:   PLATFORM_RUN_DIR (must match the one start.sh used)
#        CLICKHOUSE_STOP_TIMEOUT (20 s of SIGTERM grace before SIGKILL)
#        CLICKHOUSE_STOP_DRAIN_TIMEOUT (30 s max wait for outdated-part cleanup; 0 = skip)
# Only the PID in our pid file is signalled, and only if that process is a
# clickhouse-server running our rendered config; data is kept.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ ! -f "$CH_PID_FILE" ]]; then
  ch_log "not running (no $CH_PID_FILE)"
  exit 0
fi

ch_lock

if ! pid="$(ch_our_pid)"; then
  ch_log "not running (stale pid file, pid $(ch_recorded_pid) gone or not ours); removing it"
  rm -f "$CH_PID_FILE"
  exit 0
fi

# 18.16 quirk: parts that were merged away or dropped (DROP PARTITION,
# TRUNCATE) stay on disk until a background cleanup (~10 s later, given
# old_parts_lifetime=1 in config.xml) and are loaded again as live data on the
# next start. Wait for that cleanup so a stop/start cycle never resurrects rows.
drain_timeout="${CLICKHOUSE_STOP_DRAIN_TIMEOUT:-30}"
port="$(ch_rendered_http_port)"
if [[ -n "$port" ]] && ((drain_timeout > 0)) && command -v curl >/dev/null 2>&1; then
  deadline=$((SECONDS + drain_timeout))
  while :; do
    outdated="$(curl -fsS --max-time 3 "http://127.0.0.1:$port/" \
      --data-binary 'SELECT count() FROM system.parts WHERE NOT active' 2>/dev/null || echo '?')"
    [[ "$outdated" == 0 || "$outdated" == '?' ]] && break
    if ((SECONDS >= deadline)); then
      ch_log "still $outdated outdated part(s) after ${drain_timeout}s; stopping anyway"
      break
    fi
    if [[ -z "${announced:-}" ]]; then
      ch_log "waiting for cleanup of $outdated outdated part(s) before stopping"
      announced=1
    fi
    sleep 0.5
  done
fi

ch_log "stopping pid $pid"
ch_terminate "$pid"
rm -f "$CH_PID_FILE"
ch_log "stopped"

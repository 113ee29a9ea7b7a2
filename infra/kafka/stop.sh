#!/usr/bin/env bash
# Stops the broker started by start.sh -- only the pid it recorded, never by name.
# SIGTERM (controlled shutdown), then SIGKILL after KAFKA_STOP_TIMEOUT (30 s).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

if ! pid="$(kafka_running_pid)"; then
  if [[ -f "$KAFKA_PID_FILE" ]]; then
    log "not running (removing stale pid file)"
    rm -f "$KAFKA_PID_FILE"
  else
    log "not running"
  fi
  exit 0
fi

log "stopping pid $pid"
kill -TERM "$pid" 2>/dev/null || true
deadline=$((SECONDS + STOP_TIMEOUT))
while kill -0 "$pid" 2>/dev/null; do
  if ((SECONDS >= deadline)); then
    log "still alive after ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    break
  fi
  sleep 0.2
done
# Wait for the kernel to reap/release the ports before returning.
while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
rm -f "$KAFKA_PID_FILE"
log "stopped after ${SECONDS}s"

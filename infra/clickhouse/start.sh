#!/usr/bin/env bash
# Start (or reuse) our own ClickHouse server on loopback for tests/local dev.
#
# Usage: infra/clickhouse/start.sh
# Env:   CLICKHOUSE_HTTP_PORT (18123)  CLICKHOUSE_TCP_PORT (19000)
#        PLATFORM_RUN_DIR (<repo>/.run; state lives in $PLATFORM_RUN_DIR/clickhouse)
#        CLICKHOUSE_START_TIMEOUT (60 s)  CLICKHOUSE_LOG_LEVEL (warning; "information" logs every query)
# Stdout: exactly one line on success, `CLICKHOUSE_URL=http://127.0.0.1:<port>`;
#         everything else goes to stderr.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

START_TIMEOUT="${CLICKHOUSE_START_TIMEOUT:-60}"
LOG_LEVEL="${CLICKHOUSE_LOG_LEVEL:-warning}"

for p in "$CH_HTTP_PORT" "$CH_TCP_PORT"; do
  if ! [[ "$p" =~ ^[0-9]+$ ]] || ((p < 1 || p > 65535)); then
    ch_log "bad port: $p"
    exit 2
  fi
done
[[ "$CH_HTTP_PORT" != "$CH_TCP_PORT" ]] || { ch_log "HTTP and TCP ports must differ"; exit 2; }

# GET with a short timeout; prints the body, fails on non-2xx or no answer.
http_get() { curl -fsS --max-time 3 "$CH_URL$1" 2>/dev/null; }

healthy() {
  [[ "$(http_get /ping)" == "Ok." ]] && [[ "$(http_get '/?query=SELECT%201')" == "1" ]]
}

port_in_use() { # true if something accepts connections on 127.0.0.1:$1
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Log sizes at launch, so failures show only this run's lines (logs append).
declare -A LOG_OFFSET=()
LOG_FILES=("$CH_LOG_DIR/clickhouse-server.err.log" "$CH_LOG_DIR/stdout.log")
mark_logs() {
  local f
  for f in "${LOG_FILES[@]}"; do LOG_OFFSET[$f]="$(stat -c %s "$f" 2>/dev/null || echo 0)"; done
}
show_logs() {
  local f
  for f in "${LOG_FILES[@]}"; do
    if [[ -s "$f" ]]; then
      ch_log "---- tail of $f (this run) ----"
      tail -c "+$((${LOG_OFFSET[$f]:-0} + 1))" "$f" | tail -n 40 >&2
    fi
  done
}

succeed() {
  echo "CLICKHOUSE_URL=$CH_URL"
  exit 0
}

wait_healthy() { # pid -> 0 when healthy, 1 on timeout/death
  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! ch_alive "$1"; then
      ch_log "server (pid $1) exited during startup"
      return 1
    fi
    if healthy; then return 0; fi
    sleep 0.2
  done
  ch_log "server (pid $1) not healthy after ${START_TIMEOUT}s"
  return 1
}

command -v curl >/dev/null 2>&1 || { ch_log "curl is required"; exit 1; }
if [[ ! -x "$CH_SERVER_BIN" ]]; then
  # install.sh is idempotent; this makes a fresh machine "just work".
  ch_log "$CH_SERVER_BIN missing; running install.sh"
  "$CH_SCRIPT_DIR/install.sh"
fi

ch_lock

# 1. Reuse an instance we started earlier, or clean up after a dead one.
if pid="$(ch_our_pid)"; then
  running_port="$(ch_rendered_http_port)"
  if [[ -n "$running_port" && "$running_port" != "$CH_HTTP_PORT" ]]; then
    ch_log "already running (pid $pid) on HTTP port $running_port, not $CH_HTTP_PORT;" \
      "run infra/clickhouse/stop.sh first"
    exit 1
  fi
  if healthy; then
    ch_log "reusing running server (pid $pid)"
    succeed
  fi
  # Alive but not answering: maybe an interrupted start; give it the timeout.
  ch_log "server (pid $pid) is running but not answering yet; waiting"
  if wait_healthy "$pid"; then succeed; fi
  show_logs
  ch_log "pid $pid is ours but unhealthy; run infra/clickhouse/stop.sh and retry"
  exit 1
fi
if [[ -f "$CH_PID_FILE" ]]; then
  ch_log "removing stale pid file (pid $(ch_recorded_pid) is gone or not ours)"
  rm -f "$CH_PID_FILE"
fi

# 2. Refuse to start on ports held by someone else (a system clickhouse,
#    another checkout's instance, ...): we would otherwise talk to it.
for p in "$CH_HTTP_PORT" "$CH_TCP_PORT"; do
  if port_in_use "$p"; then
    ch_log "port 127.0.0.1:$p is already in use by another process (not ours)." \
      "Free it or set CLICKHOUSE_HTTP_PORT / CLICKHOUSE_TCP_PORT."
    if command -v ss >/dev/null 2>&1; then ss -ltnp "sport = :$p" >&2 || true; fi
    exit 1
  fi
done

# 3. Render our config into the state dir (paths + ports are per checkout).
mkdir -p "$CH_STATE_DIR"/{data,tmp,logs,user_files,format_schemas}
sed -e "s|@STATE_DIR@|$CH_STATE_DIR|g" \
  -e "s|@HTTP_PORT@|$CH_HTTP_PORT|g" \
  -e "s|@TCP_PORT@|$CH_TCP_PORT|g" \
  -e "s|@LOG_LEVEL@|$LOG_LEVEL|g" \
  "$CH_SCRIPT_DIR/config.xml" >"$CH_CONFIG.tmp"
mv -f "$CH_CONFIG.tmp" "$CH_CONFIG"
cp -f "$CH_SCRIPT_DIR/users.xml" "$CH_STATE_DIR/users.xml"

# 4. Launch detached: own session (setsid) so a test runner killing its
#    process group or closing the terminal doesn't take the server down.
#    `exec` keeps $! equal to the server's PID (setsid does not fork here
#    because a background job of a non-interactive shell is no group leader).
#    18.16 runs fine as root; no user switch needed.
mark_logs
ch_log "starting $CH_SERVER_BIN (state: $CH_STATE_DIR, http: $CH_HTTP_PORT, tcp: $CH_TCP_PORT)"
(
  cd "$CH_STATE_DIR"
  exec setsid "$CH_SERVER_BIN" --config-file="$CH_CONFIG"
) </dev/null >>"$CH_LOG_DIR/stdout.log" 2>&1 &
pid=$!
echo "$pid" >"$CH_PID_FILE"

if wait_healthy "$pid"; then
  ch_log "ready (pid $pid)"
  succeed
fi
show_logs
if ch_alive "$pid"; then ch_terminate "$pid" || true; fi
rm -f "$CH_PID_FILE"
exit 1

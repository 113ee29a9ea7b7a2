# shellcheck shell=bash
# shellcheck disable=SC2034  # variables are used by the scripts sourcing this
# Shared settings/helpers for start.sh and stop.sh (sourced, not executed).

CH_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# infra/clickhouse/ -> repo root; works without git (e.g. an exported tree).
CH_REPO_ROOT="$(cd "$CH_SCRIPT_DIR/../.." && pwd)"

CH_RUN_DIR="${PLATFORM_RUN_DIR:-$CH_REPO_ROOT/.run}"
# Absolute, so the rendered config and the pid check don't depend on cwd.
case "$CH_RUN_DIR" in /*) ;; *) CH_RUN_DIR="$PWD/$CH_RUN_DIR" ;; esac
CH_STATE_DIR="$CH_RUN_DIR/clickhouse"
CH_PID_FILE="$CH_STATE_DIR/server.pid"
CH_LOCK_FILE="$CH_STATE_DIR/.lock"
CH_CONFIG="$CH_STATE_DIR/config.xml"
CH_LOG_DIR="$CH_STATE_DIR/logs"

CH_HTTP_PORT="${CLICKHOUSE_HTTP_PORT:-18123}"
CH_TCP_PORT="${CLICKHOUSE_TCP_PORT:-19000}"
CH_URL="http://127.0.0.1:${CH_HTTP_PORT}"
# Debian's package ships the server as its own binary in /usr/sbin.
CH_SERVER_BIN="${CLICKHOUSE_SERVER_BIN:-/usr/sbin/clickhouse-server}"

# HTTP port the running instance was rendered with (from our own config),
# so stop.sh finds it even if CLICKHOUSE_HTTP_PORT differs now.
ch_rendered_http_port() {
  sed -n 's:.*<http_port>\([0-9]*\)</http_port>.*:\1:p' "$CH_CONFIG" 2>/dev/null | head -n1
}

ch_log() { printf '[clickhouse] %s\n' "$*" >&2; }

# Serialise start/stop (parallel test runners may call start.sh together).
ch_lock() {
  mkdir -p "$CH_STATE_DIR"
  exec 9>"$CH_LOCK_FILE"
  if ! flock -w 120 9; then
    ch_log "timed out waiting for $CH_LOCK_FILE (another start/stop running?)"
    exit 1
  fi
}

# Alive and not a zombie: our server is reparented to PID 1 after start.sh
# exits, and a container's PID 1 may never reap it, so kill -0 alone lies.
ch_alive() {
  local state
  [[ -r "/proc/$1/stat" ]] || return 1
  state="$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

# Prints the PID from our pid file if it is a live clickhouse-server started
# with OUR config (guards against PID reuse and other clickhouse servers).
ch_our_pid() {
  local pid cmdline
  [[ -f "$CH_PID_FILE" ]] || return 1
  pid="$(tr -dc '0-9' <"$CH_PID_FILE")"
  [[ -n "$pid" ]] || return 1
  ch_alive "$pid" || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *"--config-file=$CH_CONFIG"* ]] || return 1
  printf '%s' "$pid"
}

# Prints the PID recorded in the pid file, whatever its state ("" if none).
ch_recorded_pid() {
  [[ -f "$CH_PID_FILE" ]] && tr -dc '0-9' <"$CH_PID_FILE"
  return 0
}

ch_wait_gone() { # pid seconds
  local deadline=$((SECONDS + $2))
  while ch_alive "$1"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# SIGTERM, wait, then SIGKILL — only ever for a PID that ch_our_pid vouched for.
ch_terminate() { # pid
  local timeout="${CLICKHOUSE_STOP_TIMEOUT:-20}"
  kill -TERM "$1" 2>/dev/null || true
  if ! ch_wait_gone "$1" "$timeout"; then
    ch_log "pid $1 still alive after ${timeout}s; sending SIGKILL"
    kill -KILL "$1" 2>/dev/null || true
    ch_wait_gone "$1" 10 || { ch_log "pid $1 did not die"; return 1; }
  fi
}

#!/usr/bin/env bash
# Install Debian's ClickHouse server + client (18.16.1, bookworm) idempotently.
#
# Usage: infra/clickhouse/install.sh
#
# Does nothing (fast) when the expected version is already installed. Never
# starts, enables or relies on the system `clickhouse-server` service: our
# own instance is run by start.sh with its own config, data dir and ports.
set -euo pipefail

# Debian bookworm ships exactly this upstream version; override only if the
# distro changes (the check compares the upstream part, before "+ds").
EXPECTED_VERSION="${CLICKHOUSE_EXPECTED_VERSION:-18.16.1}"
PACKAGES=(clickhouse-server clickhouse-client)

log() { printf '[clickhouse/install] %s\n' "$*" >&2; }

# Prints the installed upstream version of a package ("" if not installed).
installed_version() {
  local status
  status="$(dpkg-query -W -f='${db:Status-Status} ${Version}' "$1" 2>/dev/null || true)"
  case "$status" in
    "installed "*) status="${status#installed }"; printf '%s' "${status%%+*}" ;;
    *) printf '' ;;
  esac
}

is_installed() {
  local pkg
  for pkg in "${PACKAGES[@]}"; do
    [[ "$(installed_version "$pkg")" == "$EXPECTED_VERSION" ]] || return 1
  done
  # The package's server is /usr/sbin/clickhouse-server (not a single
  # multi-call `clickhouse` binary as in upstream builds).
  [[ -x /usr/sbin/clickhouse-server && -x /usr/bin/clickhouse-client ]]
}

if is_installed; then
  log "clickhouse ${EXPECTED_VERSION} already installed"
  exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
    log "need root (or sudo) to apt-get install ${PACKAGES[*]}"; exit 1
  fi
else
  SUDO=()
fi

# The package's postinst runs `invoke-rc.d clickhouse-server start`, which
# would start a system server on the default ports (8123/9000/9009) and, in a
# container without an init system, can fail the install. A policy-rc.d that
# exits 101 makes invoke-rc.d skip the start. Container images usually ship
# one already; only add (and later remove) ours when there is none.
POLICY=/usr/sbin/policy-rc.d
OWN_POLICY=0
cleanup() {
  if [[ "$OWN_POLICY" -eq 1 ]]; then "${SUDO[@]}" rm -f "$POLICY"; fi
}
trap cleanup EXIT
if [[ ! -e "$POLICY" ]]; then
  printf '#!/bin/sh\n# temporary, added by infra/clickhouse/install.sh\nexit 101\n' |
    "${SUDO[@]}" tee "$POLICY" >/dev/null
  "${SUDO[@]}" chmod 755 "$POLICY"
  OWN_POLICY=1
fi

APT_OPTS=(-o DPkg::Lock::Timeout=300 -q)
export DEBIAN_FRONTEND=noninteractive

# Only refresh the package lists when apt does not know the package yet
# (fresh container) — saves time and avoids needless network use.
# (Captured first: `apt-cache | grep -q` would SIGPIPE under pipefail.)
candidate="$(apt-cache policy clickhouse-server 2>/dev/null | sed -n 's/^ *Candidate: //p')"
if [[ "${candidate%%+*}" != "$EXPECTED_VERSION" ]]; then
  log "apt-get update"
  "${SUDO[@]}" apt-get "${APT_OPTS[@]}" update >&2
fi

log "apt-get install ${PACKAGES[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "${PACKAGES[@]}" >&2

if ! is_installed; then
  log "install finished but clickhouse ${EXPECTED_VERSION} is not present;" \
    "apt offers: $(apt-cache policy clickhouse-server | sed -n 's/ *Candidate: //p')"
  exit 1
fi
log "installed clickhouse ${EXPECTED_VERSION}"

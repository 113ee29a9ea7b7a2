#!/usr/bin/env bash
# Resolves the Kafka broker jars from Maven into a cache dir outside the repo
# (so fresh clones reuse them) and makes sure kcat is installed.
# Idempotent: a cheap no-op once both are present.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_kcat() {
  command -v kcat >/dev/null 2>&1 && return 0
  local sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "kcat missing and not root: install the Debian package 'kcat'"
    sudo=(sudo)
  fi
  log "installing kcat (apt)"
  # Only refresh package lists when apt does not know the package yet (fresh images).
  if ! apt-cache show kcat >/dev/null 2>&1; then
    "${sudo[@]}" apt-get update -qq
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends kcat >/dev/null
  command -v kcat >/dev/null 2>&1 || die "kcat install failed"
}

install_kafka_jars() {
  [[ -f "$KAFKA_INSTALLED_MARKER" ]] && return 0
  command -v mvn >/dev/null 2>&1 || die "mvn not found (needed once to resolve Kafka jars)"
  command -v java >/dev/null 2>&1 || die "java not found"
  mkdir -p "$KAFKA_HOME"
  # Serialise concurrent installs (e.g. parallel test runners) on the same cache dir.
  exec 9>"$KAFKA_HOME/.lock"
  flock 9
  [[ -f "$KAFKA_INSTALLED_MARKER" ]] && return 0

  log "resolving Kafka $KAFKA_VERSION jars into $KAFKA_LIBS"
  local tmp="$KAFKA_HOME/libs.tmp.$$"
  rm -rf "$tmp" "$KAFKA_LIBS"
  # Uses Maven's configured remote repository; the local repo stays ~/.m2.
  # stdout -> stderr: start.sh's stdout must stay clean (Maven prints ANSI resets even with -q).
  mvn -q -B -Dstyle.color=never -f "$KAFKA_POM" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >&2
  # Write into a temp dir and rename so an interrupted install never looks complete.
  mv "$tmp" "$KAFKA_LIBS"
  cp "$KAFKA_POM" "$KAFKA_HOME/pom.xml"
  touch "$KAFKA_INSTALLED_MARKER"
  log "installed $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars"
}

ensure_kcat
install_kafka_jars

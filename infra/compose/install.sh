#!/usr/bin/env bash
# Installs Docker Compose v2 as a docker CLI plugin for the current user.
#
# No prebuilt binaries can be downloaded here, only Go modules, so Compose is
# built from the Go module's source and cached per version. Safe to re-run:
# a warm run only checks the cache and the installed plugin.
#
# Env:
#   COMPOSE_VERSION     Compose module version to build (default below)
#   PLATFORM_CACHE_DIR  cache root (default ~/.cache/lambda-platform)
#   DOCKER_CONFIG       docker CLI config dir (default ~/.docker)
set -euo pipefail

# Last v2 release (later ones live under a new module path, .../compose/v5);
# builds with Go 1.26.
VERSION="${COMPOSE_VERSION:-v2.40.3}"
MODULE="github.com/docker/compose/v2"

CACHE_ROOT="${PLATFORM_CACHE_DIR:-$HOME/.cache/lambda-platform}"
DEST="$CACHE_ROOT/docker-compose-$VERSION"
BIN="$DEST/docker-compose"
PLUGIN_DIR="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
PLUGIN="$PLUGIN_DIR/docker-compose"

log() { printf '[compose-install] %s\n' "$*" >&2; }

# `docker compose version --short` prints the version without the leading "v".
plugin_is_current() {
  command -v docker >/dev/null 2>&1 || return 1
  local have
  have="$(docker compose version --short 2>/dev/null || true)"
  [[ "$have" == "${VERSION#v}" ]]
}

build() {
  command -v go >/dev/null 2>&1 || { log "go not found on PATH"; exit 1; }
  log "building $MODULE@$VERSION with $(go version | cut -d' ' -f3) (cold: a few minutes)"
  rm -rf "$DEST"
  mkdir -p "$DEST"
  local start=$SECONDS src dir
  # Compose's go.mod has exclude directives, which `go install mod/cmd@ver`
  # refuses, so build the module as the main module from a source copy.
  src="$(mktemp -d "$CACHE_ROOT/.compose-src.XXXXXX")"
  # shellcheck disable=SC2064 # expand $src now: it is local to this function
  trap "rm -rf '$src'" EXIT
  # Run in an empty dir so a local go.mod/go.work cannot interfere.
  dir="$(cd "$src" && GOWORK=off GOFLAGS='' go mod download -json "$MODULE@$VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -n "$dir" && -f "$dir/go.mod" ]] || { log "module download failed"; exit 1; }
  # The module cache is read-only; the build wants a writable tree.
  cp -R "$dir/." "$src/mod"
  chmod -R u+w "$src/mod"
  # CGO off: static binary like upstream releases, and no C compiler needed.
  # -X sets the version that `docker compose version` reports (else "dev").
  # -mod=mod lets go fill any go.sum gap instead of failing; no VCS stamping
  # (the copy has no .git, but the cache dir might sit inside some repo).
  (
    cd "$src/mod"
    GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 \
      go build -trimpath \
      -ldflags "-s -w -X $MODULE/internal.Version=$VERSION" \
      -o "$BIN" ./cmd
  )
  rm -rf "$src"
  trap - EXIT
  chmod 0755 "$BIN"
  # Marker last: a build killed midway is redone on the next run.
  touch "$DEST/.complete"
  log "built $BIN in $((SECONDS - start))s"
}

mkdir -p "$CACHE_ROOT"
# Serialise concurrent runs (parallel test jobs) on the same version.
exec 9>"$DEST.lock"
flock 9

if [[ -f "$DEST/.complete" && -x "$BIN" ]]; then
  log "cached: $BIN"
else
  build
fi

if plugin_is_current; then
  log "docker compose already reports $VERSION"
else
  mkdir -p "$PLUGIN_DIR"
  # Symlink so the cache stays the single copy; -n replaces an old link.
  ln -sfn "$BIN" "$PLUGIN"
  log "linked $PLUGIN -> $BIN"
  if command -v docker >/dev/null 2>&1 && ! plugin_is_current; then
    log "warning: 'docker compose version' still does not report $VERSION"
    log "(another docker-compose plugin may take precedence)"
    exit 1
  fi
fi

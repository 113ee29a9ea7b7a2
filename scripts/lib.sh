# shellcheck shell=bash
# Shared by scripts/*.sh: repo root, logging, and dependency set-up.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PLATFORM_CACHE_DIR="${PLATFORM_CACHE_DIR:-$HOME/.cache/lambda-platform}"
# libtensorflow logs CPU-feature notices at start; warnings and errors still show.
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"

log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*" >&2; }

# Install only when node_modules is missing or older than the lock file: a warm checkout starts fast.
# `npm install` from the lock rather than `npm ci`: the registry we reach serves no packages for
# other platforms, so the lock lacks those optional entries and `npm ci` refuses it as out of sync.
ensure_node_modules() {
  local stamp="$REPO_ROOT/node_modules/.install-stamp"
  if [[ -f "$stamp" && "$stamp" -nt "$REPO_ROOT/package-lock.json" ]]; then
    return
  fi
  log "installing npm packages"
  (cd "$REPO_ROOT" && npm install --no-audit --no-fund)
  touch "$stamp"
}

# tfjs-node's own install script is denied (allowScripts: it downloads libtensorflow from a host we
# cannot reach), so native TensorFlow is provisioned here from a cache outside the repo. Runs every
# time, after ensure_node_modules: an npm install may have replaced the package dir. ~0.02 s when
# already in place and checked (~0.5 s for the first check of a package).
ensure_native_tensorflow() {
  bash "$REPO_ROOT/infra/tensorflow/provision-tfjs-node.sh" "$REPO_ROOT/node_modules/@tensorflow/tfjs-node"
}

# The dashboard's browser test drives Debian's chromium package through playwright-core, which
# downloads no browser of its own. Installed once (apt-get update first: a fresh machine's package
# lists may be empty); a machine that has it skips this in milliseconds.
ensure_chromium() {
  if command -v chromium >/dev/null 2>&1; then
    return
  fi
  log "installing chromium (Debian package) for the dashboard's browser test"
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium
}

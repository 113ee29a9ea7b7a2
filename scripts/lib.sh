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
# time, after ensure_node_modules: an npm install may have replaced the package dir. ~0.5 s when
# already in place.
ensure_native_tensorflow() {
  bash "$REPO_ROOT/infra/tensorflow/provision-tfjs-node.sh" "$REPO_ROOT/node_modules/@tensorflow/tfjs-node"
}

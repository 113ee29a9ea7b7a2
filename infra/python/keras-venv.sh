#!/usr/bin/env bash
# Provisions the cached Python virtual environment of tools/keras-interop (TensorFlow 2.15 with
# Keras 2, and the tensorflowjs converter) from infra/python/keras-requirements.txt, and prints its
# python's path as the last line of stdout. Progress goes to stderr.
#
# Usage: PY="$(infra/python/keras-venv.sh | tail -n 1)" && "$PY" tools/keras-interop/train_and_convert.py OUT
#
# The venv lives at $PLATFORM_CACHE_DIR/keras-venv-tf<TF>-tfjs<TFJS>/ (venvs are not relocatable,
# so it is built in place): a `.complete` marker holding the requirements file's sha256 is written
# last, so an interrupted build is never taken as done, and an edited requirements file rebuilds it.
# A complete venv costs two file checks (a few ms); concurrent runs serialize on a lock file and the
# waiters reuse what the first one built. Cold: ~1.7 GB on disk, about a minute with pip's cache
# warm, longer when every wheel is downloaded.
#
# Env: PLATFORM_CACHE_DIR (~/.cache/lambda-platform), PYTHON (python3; must be CPython 3.9-3.11,
#      the versions TensorFlow 2.15 has wheels for), KERAS_VENV_LOCK_TIMEOUT (seconds, 1800).
set -euo pipefail

log() { printf '[keras-venv] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

REQUIREMENTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/keras-requirements.txt"
[[ -f "$REQUIREMENTS" ]] || die "missing $REQUIREMENTS"
pinned() { sed -n "s/^$1==\([^[:space:]#]*\).*/\1/p" "$REQUIREMENTS"; }
TF_VERSION="$(pinned tensorflow-cpu)"
TFJS_VERSION="$(pinned tensorflowjs)"
[[ -n "$TF_VERSION" && -n "$TFJS_VERSION" ]] || die "$REQUIREMENTS must pin tensorflow-cpu and tensorflowjs with =="

CACHE_DIR="${PLATFORM_CACHE_DIR:-$HOME/.cache/lambda-platform}"
VENV="$CACHE_DIR/keras-venv-tf$TF_VERSION-tfjs$TFJS_VERSION"
MARKER="$VENV/.complete"
STAMP="$(sha256sum "$REQUIREMENTS")"
STAMP="${STAMP%% *}"

ready() { [[ -x "$VENV/bin/python" && -f "$MARKER" && "$(<"$MARKER")" == "$STAMP" ]]; }

# Imports what train_and_convert.py imports and checks that exactly one TensorFlow is installed.
smoke_test() {
  TF_CPP_MIN_LOG_LEVEL=2 "$VENV/bin/python" - "$TF_VERSION" "$TFJS_VERSION" <<'EOF' >&2
import logging, sys
logging.getLogger().addFilter(lambda r: "Decision Forests" not in r.getMessage())  # see requirements
from importlib import metadata
want_tf, want_tfjs = sys.argv[1:]
import tensorflow as tf
import tensorflowjs
from tensorflowjs.converters import save_keras_model  # noqa: F401
tfs = sorted(d.metadata["Name"] for d in metadata.distributions()
             if d.metadata["Name"].lower().replace("_", "-") in ("tensorflow", "tensorflow-cpu", "tf-nightly", "keras"))
assert tf.__version__ == want_tf, f"tensorflow {tf.__version__}, want {want_tf}"
assert tensorflowjs.__version__ == want_tfjs, f"tensorflowjs {tensorflowjs.__version__}, want {want_tfjs}"
keras = metadata.version("keras")
assert keras.startswith("2."), f"tf.keras is Keras {keras}; tfjs needs Keras 2"
assert tfs == ["keras", "tensorflow-cpu"], f"TensorFlow distributions: {tfs}"
print(f"[keras-venv] ok: tensorflow {tf.__version__} (Keras {keras}), tensorflowjs {tensorflowjs.__version__}")
EOF
}

build() {
  local python="${PYTHON:-python3}" started=$SECONDS
  command -v "$python" >/dev/null || die "no $python (set PYTHON)"
  "$python" -c 'import sys; sys.exit(not ((3, 9) <= sys.version_info[:2] <= (3, 11)))' ||
    die "$python is Python $("$python" -c 'import platform; print(platform.python_version())'); TensorFlow $TF_VERSION needs 3.9-3.11 (set PYTHON)"
  log "building $VENV with $("$python" -c 'import sys; print(sys.executable)')"
  rm -rf "$VENV"
  "$python" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --no-deps --only-binary=:all: --no-input --progress-bar off \
    --disable-pip-version-check -r "$REQUIREMENTS" >&2
  smoke_test || die "the new venv fails its check; left incomplete at $VENV"
  printf '%s\n' "$STAMP" >"$MARKER.tmp"
  mv "$MARKER.tmp" "$MARKER"
  log "built in $((SECONDS - started)) s, $(du -sh "$VENV" | cut -f1)"
}

if ! ready; then
  mkdir -p "$CACHE_DIR"
  exec 9>"$VENV.lock"
  if ! flock -n 9; then
    log "another run is building $VENV; waiting"
    flock -w "${KERAS_VENV_LOCK_TIMEOUT:-1800}" 9 || die "timed out waiting for $VENV.lock"
  fi
  ready || build
  exec 9>&-
fi
echo "$VENV/bin/python"

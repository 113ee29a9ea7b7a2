#!/usr/bin/env bash
# Provisions (or reuses) the cached Keras venv, then trains, converts and writes the parity fixture:
# OUT_DIR/package/{manifest.json,model.json,group1-shard1of1.bin} and OUT_DIR/parity.json.
# Progress and the venv build go to stderr; stdout is train_and_convert.py's one summary line.
#
# Usage: tools/keras-interop/make-parity-fixture.sh OUT_DIR
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON_BIN="$("$ROOT/infra/python/keras-venv.sh" | tail -n 1)"
exec "$PYTHON_BIN" "$ROOT/tools/keras-interop/train_and_convert.py" "$1"

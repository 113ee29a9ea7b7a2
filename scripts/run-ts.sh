#!/usr/bin/env bash
# Runs a TypeScript entry point of the repo (path aliases resolved, decorators on) after the same
# set-up as npm start: npm packages and native TensorFlow in place.
#   bash scripts/run-ts.sh <file.ts> [args...]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
entry=${1:?usage: scripts/run-ts.sh <file.ts> [args...]}
shift
ensure_node_modules
ensure_native_tensorflow
cd "$REPO_ROOT"
export TS_NODE_PROJECT=tsconfig.base.json
exec node -r @swc-node/register "$entry" "$@"

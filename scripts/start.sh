#!/usr/bin/env bash
# `npm start`: the platform on the embedded default (chDB in-process, no servers). Until the batch
# layer lands it runs the storage smoke: migrations, a 1M-row run through bulk I/O, publish, a speed
# row, and a read of the merged view.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node_modules
ensure_native_tensorflow
cd "$REPO_ROOT"
export TS_NODE_PROJECT=tsconfig.base.json
exec node -r @swc-node/register apps/platform/src/main.ts

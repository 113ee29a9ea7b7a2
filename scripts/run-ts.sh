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
# A 64 MiB young generation (V8's default semi-space is 16 MiB): a batch run allocates column
# views and buffers per chunk that die young, and fewer scavenges cut its CPU per row on the
# server from 3.1 to 2.6 µs (docs/benchmarks.md, 2026-12-06). The Dockerfile sets the same flag.
exec node --max-semi-space-size=64 -r @swc-node/register "$entry" "$@"

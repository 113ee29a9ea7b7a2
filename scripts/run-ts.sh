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
# 64 MiB semi-spaces for V8's young generation (the default is 16 MiB): a batch run allocates
# column views and buffers per chunk that die young, and fewer scavenges cut our CPU per row of a
# server run from about 3.0 to 2.65 µs in an interleaved A/B (docs/benchmarks.md, 2026-12-06).
# The Dockerfile sets the same flag for every service of the image.
exec node --max-semi-space-size=64 -r @swc-node/register "$entry" "$@"

#!/usr/bin/env bash
# `npm start`: the platform on the embedded default (chDB in-process, no servers). Until the batch
# layer lands it runs the storage smoke: migrations, a 1M-row run through bulk I/O, publish, a speed
# row, and a read of the merged view.
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/run-ts.sh" apps/platform/src/main.ts "$@"

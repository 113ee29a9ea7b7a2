#!/usr/bin/env bash
# `npm run bench -- <name> [args]`: runs bench/src/<name>.ts. Benchmarks print rates and their ratio
# to a ceiling measured in the same run; they are not tests.
set -euo pipefail
name=${1:?usage: npm run bench -- <benchmark> [args...]   (benchmarks: bench/src/*.ts)}
shift
exec bash "$(dirname "${BASH_SOURCE[0]}")/run-ts.sh" "bench/src/$name.ts" "$@"

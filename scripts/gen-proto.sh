#!/usr/bin/env bash
# Regenerates TypeScript (gen/) and the descriptor set used for server reflection from proto/.
# Uses the pinned @bufbuild/buf and ts-proto from node_modules; CI runs it and fails on drift.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf gen
npx buf lint
npx buf generate
npx buf build --as-file-descriptor-set -o gen/descriptor.binpb

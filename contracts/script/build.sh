#!/usr/bin/env bash
# Compiles src/Adjudicator.sol, test/mocks/TestToken.sol and test/mocks/PermitToken.sol with the pinned solc-js and the
# settings of foundry.toml into the committed artifacts/ (see script/build.mjs).
#   script/build.sh           (re)write artifacts/*.abi.json and artifacts/*.bin
#   script/build.sh --check   recompile in memory; exit 1 if the committed artifacts differ
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/build.mjs" "$@"

#!/usr/bin/env bash
# Regenerates the internal C# bindings (src/StateChannels.Ethereum/Bindings/*.gen.cs) from the
# committed artifacts (contracts/artifacts/*.abi.json, *.bin). See gen-bindings.mjs.
#   script/gen-bindings.sh           rewrite the .gen.cs files
#   script/gen-bindings.sh --check   exit non-zero when they differ from a fresh generation
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/gen-bindings.mjs" "$@"

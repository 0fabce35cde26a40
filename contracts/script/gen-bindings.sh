#!/usr/bin/env bash
# Regenerates the C# bindings from the committed artifacts (contracts/artifacts/*.abi.json, *.bin):
# the shipped ones in src/StateChannels.Ethereum/Bindings/*.gen.cs (Adjudicator, Erc20Errors) and
# the test tokens' in tests/StateChannels.TestKit/Bindings/*.gen.cs. See gen-bindings.mjs.
#   script/gen-bindings.sh           rewrite the .gen.cs files
#   script/gen-bindings.sh --check   exit non-zero when they differ from a fresh generation
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/gen-bindings.mjs" "$@"

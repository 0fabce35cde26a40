#!/usr/bin/env bash
# Measures the adjudicator's gas as real transactions on a fresh local anvil and writes gas.json.
#   script/gas.sh           measure and (re)write gas.json
#   script/gas.sh --check   measure and compare with the committed gas.json; non-zero on drift
# How: forge script (script/Gas.s.sol) broadcasts phase 1 (deploy, deposits, cooperative closes,
# register, refute), anvil's clock moves past the challenge period, phase 2 broadcasts conclude;
# script/gas.mjs reads gasUsed from the broadcast receipts (intrinsic 21,000 + calldata included).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

mode="write"
case "${1:-}" in
  "") ;;
  --check) mode="check" ;;
  *) echo "usage: script/gas.sh [--check]" >&2; exit 2 ;;
esac

forge="$root/node_modules/@foundry-rs/forge-linux-amd64/bin/forge"
anvil="$root/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
# Gas depends on the hardfork's pricing (EIP-2929 access lists, EIP-3529 refunds, EIP-7623
# calldata floor): pin it so the figures do not move when anvil's default changes.
hardfork="osaka"

port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
rpc="http://127.0.0.1:$port"
log="$(mktemp "${TMPDIR:-/tmp}/anvil.XXXXXX")"
"$anvil" --host 127.0.0.1 --port "$port" --hardfork "$hardfork" --silent >"$log" 2>&1 &
anvil_pid=$!
cleanup() { kill "$anvil_pid" 2>/dev/null || true; wait "$anvil_pid" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT INT TERM

node "$here/gas.mjs" wait "$rpc"

broadcast_dir="$(mktemp -d "${TMPDIR:-/tmp}/gas-broadcast.XXXXXX")"
trap 'cleanup; rm -rf "$broadcast_dir"' EXIT INT TERM
run_phase() {
  FOUNDRY_BROADCAST="$broadcast_dir" "$forge" script script/Gas.s.sol:GasScript --sig "$1()" \
    --rpc-url "$rpc" --broadcast --slow --non-interactive --quiet
}
run_phase phase1
node "$here/gas.mjs" advance "$rpc" 3601
run_phase phase2

node "$here/gas.mjs" summarise "$broadcast_dir/Gas.s.sol/31337" "$root/gas.json" "$mode" "$hardfork"

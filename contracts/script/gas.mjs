// Helper of script/gas.sh (see there). Subcommands:
//   wait <rpc>                                   wait until anvil answers
//   advance <rpc> <seconds>                      evm_increaseTime + evm_mine
//   summarise <broadcastDir> <gas.json> <write|check> <hardfork>
// The labels below follow the order of broadcasts in script/Gas.s.sol: keep both in sync.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const PHASE1 = [
  ["deploy_adjudicator", null],
  ["deploy_test_token", null],
  [null, "mint"],
  [null, "mint"],
  [null, "approve"],
  [null, "approve"],
  ["deposit_eth_first", "deposit"],
  ["deposit_eth_second", "deposit"],
  ["close_eth", "close"],
  ["deposit_erc20_first", "deposit"],
  ["deposit_erc20_second", "deposit"],
  ["close_erc20", "close"],
  [null, "deposit"],
  [null, "deposit"],
  ["register", "register"],
  ["refute", "register"],
];
const PHASE2 = [["conclude_eth", "conclude"]];

// The targets and the Nitro anchors (go-nitro/nitro-protocol figures), for the report.
const TARGETS = { happy_eth_lifecycle: 140000, sad_exit_eth: 120000, refute: 60000 };

async function rpc(url, method, params = []) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = await res.json();
  if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

function label(file, plan, out) {
  const run = JSON.parse(readFileSync(file, "utf8"));
  if (run.transactions.length !== plan.length || run.receipts.length !== plan.length) {
    throw new Error(`${file}: expected ${plan.length} transactions, found ${run.transactions.length}/${run.receipts.length}`);
  }
  run.transactions.forEach((tx, i) => {
    const [name, fn] = plan[i];
    const receipt = run.receipts.find((r) => r.transactionHash === tx.hash);
    if (!receipt || receipt.status !== "0x1") throw new Error(`transaction ${i} (${name ?? fn}) failed or missing`);
    if (fn !== null && !(tx.function ?? "").startsWith(fn + "(")) {
      throw new Error(`transaction ${i}: expected ${fn}, found ${tx.function}`);
    }
    if (name !== null) out[name] = Number(BigInt(receipt.gasUsed));
  });
}

async function main() {
  const [cmd, ...args] = process.argv.slice(2);
  if (cmd === "wait") {
    for (let i = 0; i < 100; i++) {
      try { await rpc(args[0], "eth_chainId"); return; } catch { await new Promise((r) => setTimeout(r, 100)); }
    }
    throw new Error("anvil did not start");
  }
  if (cmd === "advance") {
    await rpc(args[0], "evm_increaseTime", [Number(args[1])]);
    await rpc(args[0], "evm_mine");
    return;
  }
  if (cmd !== "summarise") throw new Error(`unknown command ${cmd}`);

  const [dir, gasFile, mode, hardfork] = args;
  const ops = {};
  label(join(dir, "phase1-latest.json"), PHASE1, ops);
  label(join(dir, "phase2-latest.json"), PHASE2, ops);
  const totals = {
    happy_eth_lifecycle: ops.deposit_eth_first + ops.deposit_eth_second + ops.close_eth,
    happy_erc20_lifecycle: ops.deposit_erc20_first + ops.deposit_erc20_second + ops.close_erc20,
    sad_exit_eth: ops.register + ops.conclude_eth,
  };
  const result = { ...ops, ...totals };
  const text = JSON.stringify(result, null, 2) + "\n";

  for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(24)} ${String(v).padStart(9)}`);
  const over = [
    ["happy_eth_lifecycle", totals.happy_eth_lifecycle],
    ["sad_exit_eth", totals.sad_exit_eth],
    ["refute", ops.refute],
  ].filter(([k, v]) => v > TARGETS[k]);
  for (const [k, v] of over) console.error(`over target: ${k} = ${v} > ${TARGETS[k]}`);
  console.log(`(anvil hardfork ${hardfork})`);

  if (mode === "check") {
    if (!existsSync(gasFile)) { console.error(`gas check: ${gasFile} missing; run script/gas.sh`); process.exit(1); }
    const committed = readFileSync(gasFile, "utf8");
    if (committed !== text) {
      const old = JSON.parse(committed);
      for (const k of new Set([...Object.keys(old), ...Object.keys(result)])) {
        if (old[k] !== result[k]) console.error(`gas drift: ${k}: committed ${old[k]}, measured ${result[k]}`);
      }
      console.error("gas check failed: rerun script/gas.sh and commit gas.json (and the README table)");
      process.exit(1);
    }
    console.log("gas check: gas.json matches");
  } else {
    writeFileSync(gasFile, text);
    console.log(`wrote ${gasFile}`);
  }
  if (over.length) process.exit(1);
}

main().catch((e) => { console.error(e.message ?? e); process.exit(1); });

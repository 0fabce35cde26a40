// Compiles the committed artifacts with the pinned solc-js and the settings of foundry.toml.
//   node script/build.mjs [--check]      (normally through script/build.sh)
// Writes artifacts/<Name>.abi.json (ABI, 2-space JSON) and artifacts/<Name>.bin (creation
// bytecode, lowercase hex without 0x, trailing newline) for every contract in CONTRACTS.
// The output is deterministic: no metadata hash or CBOR trailer, sources named by their path
// relative to contracts/, compiled on their own (not together with the tests).
// --check compiles into memory and exits 1, naming the files, if the committed ones differ.
import { readFileSync, writeFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const require = createRequire(import.meta.url);
const solc = require(join(root, "node_modules", "solc"));

// Keep in sync with foundry.toml ([profile.default]).
const SOLC_VERSION = "0.8.30+commit.73712a01";
const SETTINGS = {
  optimizer: { enabled: true, runs: 1000000 },
  viaIR: true,
  evmVersion: "cancun",
  metadata: { bytecodeHash: "none", appendCBOR: false },
  remappings: ["@openzeppelin/=node_modules/@openzeppelin/"],
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
};
const CONTRACTS = [
  ["src/Adjudicator.sol", "Adjudicator"],
  ["test/mocks/TestToken.sol", "TestToken"],
  ["test/mocks/PermitToken.sol", "PermitToken"],
  ["test/mocks/PermitToken.sol", "RevertingPermitToken"],
];

const args = process.argv.slice(2);
const check = args.includes("--check");
if (args.some((a) => a !== "--check")) {
  console.error("usage: build.sh [--check]");
  process.exit(2);
}
if (!solc.version().startsWith(SOLC_VERSION)) {
  console.error(`build: solc-js ${solc.version()} installed, ${SOLC_VERSION} pinned (run npm ci in contracts/)`);
  process.exit(1);
}

function findImports(path) {
  const mapped = path.startsWith("@openzeppelin/") ? join("node_modules", path) : path;
  const file = join(root, mapped);
  if (!existsSync(file)) return { error: `not found: ${path}` };
  return { contents: readFileSync(file, "utf8") };
}

const artifacts = {};
for (const [source, name] of CONTRACTS) {
  const input = {
    language: "Solidity",
    sources: { [source]: { content: readFileSync(join(root, source), "utf8") } },
    settings: SETTINGS,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length) {
    for (const e of errors) console.error(e.formattedMessage);
    process.exit(1);
  }
  const contract = output.contracts[source][name];
  artifacts[`${name}.abi.json`] = JSON.stringify(contract.abi, null, 2) + "\n";
  artifacts[`${name}.bin`] = contract.evm.bytecode.object.toLowerCase() + "\n";
}

const dir = join(root, "artifacts");
if (check) {
  const stale = Object.entries(artifacts).filter(
    ([file, text]) => !existsSync(join(dir, file)) || readFileSync(join(dir, file), "utf8") !== text,
  );
  if (stale.length) {
    console.error(`build --check: artifacts differ from a fresh compile: ${stale.map(([f]) => f).join(", ")}`);
    console.error("run contracts/script/build.sh and commit artifacts/ (then script/gen-bindings.sh)");
    process.exit(1);
  }
  console.log(`build --check: ${Object.keys(artifacts).length} artifacts match a fresh compile`);
} else {
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(artifacts)) writeFileSync(join(dir, file), text);
  console.log(`build: wrote ${Object.keys(artifacts).map((f) => "artifacts/" + f).join(", ")}`);
}

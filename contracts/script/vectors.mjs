// Generates tests/vectors/eip712.json: EIP-712 State vectors signed the way a browser wallet
// signs them (ethers 6 Wallet.signTypedData). Deterministic: fixed keys and nonces, no randomness.
// Spec: docs/encoding.md. Checked by the forge tests and by the xunit tests.
//
// Run from the repo root or from contracts/:  node contracts/script/vectors.mjs
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AbiCoder, TypedDataEncoder, Wallet, getAddress, keccak256, toUtf8Bytes, Signature, verifyTypedData } from "ethers";

const here = dirname(fileURLToPath(import.meta.url));
const outFile = resolve(here, "../../tests/vectors/eip712.json");

const STATE_TYPES = {
  State: [
    { name: "channelId", type: "bytes32" },
    { name: "version", type: "uint64" },
    { name: "balance0", type: "uint256" },
    { name: "balance1", type: "uint256" },
    { name: "isFinal", type: "bool" },
  ],
};

const U64_MAX = (1n << 64n) - 1n;
const U120 = 1n << 120n;
const ETH = "0x0000000000000000000000000000000000000000";

// Fixed labels -> keys and nonces, so regenerating gives the same file byte for byte.
const label = (s) => keccak256(toUtf8Bytes(`StateChannels.vectors.${s}`));

const ADJ_A = "0x5fbdb2315678afecb367f032d93f642f64180aa3"; // anvil's first deployment address
const ADJ_B = "0x00000000000000000000000000000000deadbeef";
const ADJ_C = "0xffffffffffffffffffffffffffffffffffffffff";
const TOKEN = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48";

const CASES = [
  { name: "eth-opening-v0", chainId: 31337n, adjudicator: ADJ_A, asset: ETH, challengeDuration: 3600n,
    funding0: 1_000_000_000_000_000_000n, funding1: 0n, version: 0n, balance0: 1_000_000_000_000_000_000n, balance1: 0n, isFinal: false },
  { name: "eth-mid-version", chainId: 31337n, adjudicator: ADJ_A, asset: ETH, challengeDuration: 3600n,
    funding0: 5_000_000_000_000_000_000n, funding1: 2_000_000_000_000_000_000n, version: 4242n,
    balance0: 3_123_456_789_000_000_001n, balance1: 3_876_543_210_999_999_999n, isFinal: false },
  { name: "eth-mainnet-final", chainId: 1n, adjudicator: ADJ_B, asset: ETH, challengeDuration: 86400n,
    funding0: 700n, funding1: 300n, version: 17n, balance0: 250n, balance1: 750n, isFinal: true },
  { name: "token-opening-v0-mainnet", chainId: 1n, adjudicator: ADJ_A, asset: TOKEN, challengeDuration: 604800n,
    funding0: 1_000_000n, funding1: 2_500_000n, version: 0n, balance0: 1_000_000n, balance1: 2_500_000n, isFinal: false },
  { name: "token-huge-version-final", chainId: 31337n, adjudicator: ADJ_C, asset: TOKEN, challengeDuration: 31_536_000n,
    funding0: 10n, funding1: 20n, version: U64_MAX, balance0: 0n, balance1: 30n, isFinal: true },
  { name: "eth-zero-balance1", chainId: 31337n, adjudicator: ADJ_B, asset: ETH, challengeDuration: 60n, // the floor
    funding0: 0n, funding1: 1n, version: 1n, balance0: 1n, balance1: 0n, isFinal: false },
  { name: "eth-balances-near-2^120", chainId: 1n, adjudicator: ADJ_C, asset: ETH, challengeDuration: 3600n,
    funding0: U120 - 1n, funding1: U120 - 1n, version: U64_MAX - 1n, balance0: 2n * U120 - 3n, balance1: 1n, isFinal: false },
  { name: "token-near-2^120-final", chainId: 31337n, adjudicator: ADJ_A, asset: TOKEN, challengeDuration: 7200n,
    funding0: U120 - 1n, funding1: 0n, version: 1n << 32n, balance0: 0n, balance1: U120 - 1n, isFinal: true },
];

const abi = AbiCoder.defaultAbiCoder();
const PARAMS_TUPLE = "tuple(address participant0,address participant1,address asset,uint64 challengeDuration,uint256 nonce,uint256 funding0,uint256 funding1)";

function channelIdOf(chainId, adjudicator, p) {
  // keccak256(abi.encode(uint256 chainId, address adjudicator, Params params)): nine static words.
  return keccak256(abi.encode(["uint256", "address", PARAMS_TUPLE],
    [chainId, adjudicator, [p.participant0, p.participant1, p.asset, p.challengeDuration, p.nonce, p.funding0, p.funding1]]));
}

const lower = (s) => s.toLowerCase();
const out = [];
for (const [i, c] of CASES.entries()) {
  if (c.balance0 + c.balance1 !== c.funding0 + c.funding1) throw new Error(`${c.name}: total not conserved`);
  const w0 = new Wallet(label(`case${i}.key0`));
  const w1 = new Wallet(label(`case${i}.key1`));
  const params = {
    participant0: lower(w0.address), participant1: lower(w1.address), asset: lower(c.asset),
    challengeDuration: c.challengeDuration, nonce: label(`case${i}.nonce`), funding0: c.funding0, funding1: c.funding1,
  };
  const channelId = channelIdOf(c.chainId, c.adjudicator, params);
  const domain = { name: "StateChannels", version: "1", chainId: c.chainId, verifyingContract: getAddress(c.adjudicator) };
  const state = { channelId, version: c.version, balance0: c.balance0, balance1: c.balance1, isFinal: c.isFinal };

  const sig0 = await w0.signTypedData(domain, STATE_TYPES, state);
  const sig1 = await w1.signTypedData(domain, STATE_TYPES, state);
  for (const s of [sig0, sig1]) {
    const sig = Signature.from(s);
    if (sig.v !== 27 && sig.v !== 28) throw new Error("v not in {27,28}");
    if (BigInt(sig.s) > 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n) throw new Error("high s");
  }
  const digest = TypedDataEncoder.hash(domain, STATE_TYPES, state);
  if (verifyTypedData(domain, STATE_TYPES, state, sig0) !== w0.address) throw new Error(`${c.name}: sig0 does not recover`);
  if (verifyTypedData(domain, STATE_TYPES, state, sig1) !== w1.address) throw new Error(`${c.name}: sig1 does not recover`);

  out.push({
    name: c.name,
    chainId: c.chainId.toString(),
    adjudicator: lower(c.adjudicator),
    params: {
      participant0: params.participant0, participant1: params.participant1, asset: params.asset,
      challengeDuration: c.challengeDuration.toString(), nonce: params.nonce,
      funding0: c.funding0.toString(), funding1: c.funding1.toString(),
    },
    channelId,
    state: { version: c.version.toString(), balance0: c.balance0.toString(), balance1: c.balance1.toString(), isFinal: c.isFinal },
    domainSeparator: TypedDataEncoder.hashDomain(domain),
    structHash: TypedDataEncoder.from(STATE_TYPES).hashStruct("State", state),
    digest,
    privateKey0: w0.privateKey, privateKey1: w1.privateKey,
    sig0: lower(sig0), sig1: lower(sig1),
  });
}

const doc = {
  description: "EIP-712 State vectors for docs/encoding.md: channelId = keccak256(abi.encode(chainId, adjudicator, Params)); " +
    "domain (name \"StateChannels\", version \"1\", chainId, verifyingContract = adjudicator); " +
    "State(bytes32 channelId,uint64 version,uint256 balance0,uint256 balance1,bool isFinal). " +
    "sig0/sig1 are 65-byte r||s||v (v in {27,28}, low-s) made by ethers Wallet.signTypedData with privateKey0/1. " +
    "Numbers are decimal strings; bytes are lowercase 0x-hex. Test keys only: never fund them.",
  generator: "contracts/script/vectors.mjs (ethers 6)",
  cases: out,
};
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(doc, null, 2) + "\n");
console.log(`wrote ${out.length} cases to ${outFile}`);

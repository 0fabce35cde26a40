#!/usr/bin/env node
// Signs a StateChannels channel state the way a browser wallet does: ethers 6 Wallet.signTypedData
// (the same EIP-712 v4 encoding MetaMask's eth_signTypedData_v4 uses). The .NET acceptance test
// (tests/StateChannels.Ethereum.Tests) runs it to prove that wallet signatures recover in C# and
// are accepted by the deployed Adjudicator.
//
//   node script/sign-state.mjs --chain-id 31337 --adjudicator 0x... --channel-id 0x... \
//        --version 3 --balance0 600 --balance1 400 --final true [--json]
//
// The private key comes from the environment variable SIGNER_PRIVATE_KEY (0x + 64 hex digits),
// not from the command line, so it never shows up in process listings.
// Output: the 65-byte signature as 0x-hex (r || s || v, v in {27, 28}); with --json an object
// { signature, digest, signer } where digest is ethers' TypedDataEncoder.hash of the same data.
// Domain and type follow docs/encoding.md.
import { Wallet, TypedDataEncoder } from 'ethers';

const usage =
  'usage: SIGNER_PRIVATE_KEY=0x... sign-state.mjs --chain-id N --adjudicator 0x.. --channel-id 0x.. ' +
  '--version N --balance0 N --balance1 N --final true|false [--json]';

function fail(message) {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}

const options = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  if (arg === '--json') {
    options.json = true;
  } else if (arg.startsWith('--') && i + 1 < argv.length) {
    options[arg.slice(2)] = argv[++i];
  } else {
    fail(`unexpected argument: ${arg}`);
  }
}

for (const required of ['chain-id', 'adjudicator', 'channel-id', 'version', 'balance0', 'balance1', 'final']) {
  if (options[required] === undefined) fail(`missing --${required}`);
}
const key = process.env.SIGNER_PRIVATE_KEY;
if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) fail('SIGNER_PRIVATE_KEY must be 0x and 64 hex digits');
if (!/^(true|false)$/.test(options.final)) fail('--final must be true or false');

const toUint = (name) => {
  const text = options[name];
  if (!/^[0-9]+$/.test(text)) fail(`--${name} must be a non-negative decimal integer`);
  return BigInt(text);
};

const domain = {
  name: 'StateChannels',
  version: '1',
  chainId: toUint('chain-id'),
  verifyingContract: options.adjudicator,
};
const types = {
  State: [
    { name: 'channelId', type: 'bytes32' },
    { name: 'version', type: 'uint64' },
    { name: 'balance0', type: 'uint256' },
    { name: 'balance1', type: 'uint256' },
    { name: 'isFinal', type: 'bool' },
  ],
};
const state = {
  channelId: options['channel-id'],
  version: toUint('version'),
  balance0: toUint('balance0'),
  balance1: toUint('balance1'),
  isFinal: options.final === 'true',
};

const wallet = new Wallet(key);
const signature = await wallet.signTypedData(domain, types, state);
if (options.json) {
  const digest = TypedDataEncoder.hash(domain, types, state);
  console.log(JSON.stringify({ signature, digest, signer: wallet.address }));
} else {
  console.log(signature);
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {vm} from "../test/utils/Vm.sol";
import {Adjudicator} from "../src/Adjudicator.sol";
import {TestToken} from "../test/mocks/TestToken.sol";

/// @notice Real transactions for the gas table, broadcast by script/gas.sh to a fresh anvil.
/// Phase 1 deploys and runs every operation except `conclude`; gas.sh then moves anvil's clock
/// past the challenge period and runs phase 2 (`conclude`). The order of broadcasts is the
/// contract between this script and script/gas.mjs, which labels the receipts: keep them in sync.
contract GasScript {
    // anvil's well-known development keys (accounts 0, 1, 2 of its default mnemonic)
    uint256 internal constant DEPLOYER_KEY = 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80;
    uint256 internal constant KEY0 = 0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d;
    uint256 internal constant KEY1 = 0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a;

    uint64 internal constant CHALLENGE = 3600;
    uint256 internal constant FUNDING = 1 ether;

    function phase1() external {
        address p0 = vm.addr(KEY0);
        address p1 = vm.addr(KEY1);

        vm.startBroadcast(DEPLOYER_KEY);
        Adjudicator adj = new Adjudicator(); // nonce 0 of the deployer
        TestToken token = new TestToken(); // nonce 1
        token.mint(p0, 10 * FUNDING);
        token.mint(p1, 10 * FUNDING);
        vm.stopBroadcast();

        vm.startBroadcast(KEY0);
        token.approve(address(adj), type(uint256).max);
        vm.stopBroadcast();
        vm.startBroadcast(KEY1);
        token.approve(address(adj), type(uint256).max);
        vm.stopBroadcast();

        // happy ETH: deposit, deposit, cooperative close (sent by participant 0)
        Adjudicator.Params memory pe = _params(p0, p1, address(0), 1);
        _deposit(adj, pe, KEY0, 0);
        _deposit(adj, pe, KEY1, 1);
        _submit(adj, KEY0, true, pe, 5, 0.7 ether, true);

        // happy ERC-20: same with the token
        Adjudicator.Params memory pt = _params(p0, p1, address(token), 2);
        _deposit(adj, pt, KEY0, 0);
        _deposit(adj, pt, KEY1, 1);
        _submit(adj, KEY0, true, pt, 5, 0.7 ether, true);

        // sad ETH: deposits, participant 1 registers a stale v3, participant 0 refutes with v4;
        // phase 2 concludes
        Adjudicator.Params memory pd = _params(p0, p1, address(0), 3);
        _deposit(adj, pd, KEY0, 0);
        _deposit(adj, pd, KEY1, 1);
        _submit(adj, KEY1, false, pd, 3, 0.6 ether, false);
        _submit(adj, KEY0, false, pd, 4, 1.2 ether, false);
    }

    function phase2() external {
        address p0 = vm.addr(KEY0);
        address p1 = vm.addr(KEY1);
        Adjudicator adj = Adjudicator(_firstCreated(vm.addr(DEPLOYER_KEY)));
        vm.startBroadcast(KEY0);
        adj.conclude(_params(p0, p1, address(0), 3));
        vm.stopBroadcast();
    }

    function _params(address p0, address p1, address asset, uint256 nonce)
        internal
        pure
        returns (Adjudicator.Params memory)
    {
        // a realistic random-looking nonce (all 32 bytes non-zero, like the SDK's)
        uint256 n = uint256(keccak256(abi.encode("StateChannels gas nonce", nonce)));
        return Adjudicator.Params(p0, p1, asset, CHALLENGE, n, FUNDING, FUNDING);
    }

    function _deposit(Adjudicator adj, Adjudicator.Params memory p, uint256 key, uint256 idx) internal {
        vm.startBroadcast(key);
        adj.deposit{value: p.asset == address(0) ? FUNDING : 0}(p, idx, 0, FUNDING);
        vm.stopBroadcast();
    }

    /// @dev Sends close or register from `key` for the state (version, balance0, isFinal).
    function _submit(
        Adjudicator adj,
        uint256 key,
        bool viaClose,
        Adjudicator.Params memory p,
        uint64 version,
        uint256 balance0,
        bool isFinal
    ) internal {
        Adjudicator.State memory s =
            Adjudicator.State(adj.channelId(p), version, balance0, 2 * FUNDING - balance0, isFinal);
        bytes32 digest = adj.hashState(s);
        bytes memory sig0 = _sign(KEY0, digest);
        bytes memory sig1 = _sign(KEY1, digest);
        vm.startBroadcast(key);
        if (viaClose) adj.close(p, s, sig0, sig1);
        else adj.register(p, s, sig0, sig1);
        vm.stopBroadcast();
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev CREATE address of `deployer`'s first transaction (nonce 0, RLP 0x80).
    function _firstCreated(address deployer) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes2(0xd694), deployer, bytes1(0x80))))));
    }
}

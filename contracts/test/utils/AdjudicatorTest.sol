// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./Test.sol";
import {vm} from "./Vm.sol";
import {Adjudicator} from "../../src/Adjudicator.sol";

/// @notice Shared fixture: an adjudicator, two participants with known keys (alice = 0, bob = 1),
/// and helpers to build, sign, fund, register and close channel states.
abstract contract AdjudicatorTest is Test {
    // secp256k1 group order; low-s means s <= N / 2
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    uint256 internal constant PK0 = 0xA11CE;
    uint256 internal constant PK1 = 0xB0B;
    uint256 internal constant PK_MALLORY = 0xBAD;
    uint256 internal constant F0 = 1 ether;
    uint256 internal constant F1 = 2 ether;
    uint64 internal constant CHALLENGE = 1 hours;
    uint256 internal constant T0 = 1_700_000_000;

    Adjudicator internal adj;
    address internal alice;
    address internal bob;
    address internal mallory;

    // mirrors of the contract's events, for vm.expectEmit
    event Deposited(bytes32 indexed channelId, uint256 idx, uint256 held);
    event Registered(bytes32 indexed channelId, uint64 version, uint256 balance0, uint256 balance1, uint256 deadline);
    event Refuted(bytes32 indexed channelId, uint64 version, uint256 balance0, uint256 balance1, uint256 deadline);
    event Concluded(bytes32 indexed channelId, uint64 version, uint256 payout0, uint256 payout1);
    event PayoutCredited(bytes32 indexed channelId, address indexed recipient, address indexed asset, uint256 amount);
    event Withdrawn(address indexed account, address indexed asset, address to, uint256 amount);

    struct Info {
        uint256 held0;
        uint256 held1;
        bool registered;
        bool concluded;
        uint64 version;
        uint256 deadline;
        uint256 balance0;
    }

    function setUp() public virtual {
        vm.warp(T0);
        adj = new Adjudicator();
        alice = vm.addr(PK0);
        bob = vm.addr(PK1);
        mallory = vm.addr(PK_MALLORY);
        vm.label(alice, "alice");
        vm.label(bob, "bob");
        vm.label(mallory, "mallory");
        vm.deal(alice, 100 ether);
        vm.deal(bob, 100 ether);
        vm.deal(mallory, 100 ether);
    }

    // --- building ---

    function _params() internal view returns (Adjudicator.Params memory) {
        return _params(address(0), 1, F0, F1);
    }

    function _params(address asset) internal view returns (Adjudicator.Params memory) {
        return _params(asset, 1, F0, F1);
    }

    function _params(address asset, uint256 nonce, uint256 f0, uint256 f1)
        internal
        view
        returns (Adjudicator.Params memory)
    {
        return Adjudicator.Params(alice, bob, asset, CHALLENGE, nonce, f0, f1);
    }

    function _id(Adjudicator.Params memory p) internal view returns (bytes32) {
        return adj.channelId(p);
    }

    /// @dev A state of `p` with balance0 = b0 and balance1 = total - b0.
    function _state(Adjudicator.Params memory p, uint64 version, uint256 b0, bool isFinal)
        internal
        view
        returns (Adjudicator.State memory)
    {
        return Adjudicator.State(adj.channelId(p), version, b0, p.funding0 + p.funding1 - b0, isFinal);
    }

    function _sign(uint256 pk, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    function _sigs(Adjudicator.State memory s) internal view returns (bytes memory, bytes memory) {
        return _sigsOn(adj, s);
    }

    function _sigsOn(Adjudicator a, Adjudicator.State memory s) internal view returns (bytes memory, bytes memory) {
        bytes32 digest = a.hashState(s);
        return (_sign(PK0, digest), _sign(PK1, digest));
    }

    // --- acting ---

    function _deposit(Adjudicator.Params memory p, uint256 idx, uint256 amount) internal {
        Info memory info = _info(p);
        address who = idx == 0 ? p.participant0 : p.participant1;
        vm.prank(who);
        adj.deposit{value: p.asset == address(0) ? amount : 0}(p, idx, idx == 0 ? info.held0 : info.held1, amount);
    }

    /// @dev Both participants deposit exactly their funding (ETH).
    function _fund(Adjudicator.Params memory p) internal {
        if (p.funding0 > 0) _deposit(p, 0, p.funding0);
        if (p.funding1 > 0) _deposit(p, 1, p.funding1);
    }

    function _register(Adjudicator.Params memory p, Adjudicator.State memory s) internal {
        (bytes memory sig0, bytes memory sig1) = _sigs(s);
        adj.register(p, s, sig0, sig1);
    }

    function _close(Adjudicator.Params memory p, Adjudicator.State memory s) internal {
        (bytes memory sig0, bytes memory sig1) = _sigs(s);
        adj.close(p, s, sig0, sig1);
    }

    // --- reading ---

    function _info(Adjudicator.Params memory p) internal view returns (Info memory i) {
        return _infoOf(adj.channelId(p));
    }

    function _infoOf(bytes32 id) internal view returns (Info memory i) {
        (i.held0, i.held1, i.registered, i.concluded, i.version, i.deadline, i.balance0) = adj.getChannel(id);
    }

    function _err(bytes4 selector) internal pure returns (bytes memory) {
        return abi.encodePacked(selector);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorTest} from "./utils/AdjudicatorTest.sol";
import {vm, Vm} from "./utils/Vm.sol";
import {Adjudicator} from "../src/Adjudicator.sol";

contract FuzzTest is AdjudicatorTest {
    uint256 internal constant LIMIT = 2 ** 120;

    /// The payout rule: fully funded -> balance_i + excess_i; otherwise each gets its holdings;
    /// both paths (close, register + conclude); never more than the channel holds.
    function testFuzz_PayoutRule(uint256 f0, uint256 f1, uint256 d0, uint256 d1, uint256 b0, bool viaClose) public {
        f0 = bound(f0, 0, 1e30);
        f1 = bound(f1, f0 == 0 ? 1 : 0, 1e30);
        d0 = bound(d0, 0, 2e30);
        d1 = bound(d1, 0, 2e30);
        b0 = bound(b0, 0, f0 + f1);
        vm.deal(alice, d0);
        vm.deal(bob, d1);
        Adjudicator.Params memory p = _params(address(0), 7, f0, f1);
        if (d0 > 0) _deposit(p, 0, d0);
        if (d1 > 0) _deposit(p, 1, d1);

        (uint256 e0, uint256 e1) = d0 >= f0 && d1 >= f1 ? (b0 + d0 - f0, f0 + f1 - b0 + d1 - f1) : (d0, d1);
        if (viaClose) {
            _close(p, _state(p, 3, b0, true));
        } else {
            _register(p, _state(p, 3, b0, false));
            vm.warp(T0 + CHALLENGE);
            adj.conclude(p);
        }
        assertEq(alice.balance, e0, "payout0");
        assertEq(bob.balance, e1, "payout1");
        assertEq(address(adj).balance, 0, "paid out exactly what was held");
    }

    /// A13: any pair of balances not summing to the funding total reverts, including overflowing ones.
    function testFuzz_BalancesMustAddUp(uint256 b0, uint256 b1) public {
        Adjudicator.Params memory p = _params();
        _fund(p);
        Adjudicator.State memory s = Adjudicator.State(_id(p), 1, b0, b1, false);
        (bytes memory sig0, bytes memory sig1) = _sigs(s);
        bool adds;
        unchecked {
            adds = b0 + b1 == F0 + F1 && b0 <= F0 + F1;
        }
        if (!adds) vm.expectRevert(_err(Adjudicator.BalancesMismatch.selector));
        adj.register(p, s, sig0, sig1);
    }

    /// Params validation equals the rules of docs/encoding.md.
    function testFuzz_ParamsValidation(address p0, address p1, uint64 duration, uint256 f0, uint256 f1) public {
        f0 = f0 % 4 == 0 ? f0 : bound(f0, 0, LIMIT);
        f1 = f1 % 4 == 0 ? f1 : bound(f1, 0, LIMIT);
        if (duration % 2 == 0) duration %= 128; // half the runs near the floor (60)
        vm.assume(p0 != address(adj) && p0.code.length == 0);
        Adjudicator.Params memory p = Adjudicator.Params(p0, p1, address(0), duration, 1, f0, f1);
        bool valid = p0 != address(0) && p1 != address(0) && p0 != p1 && duration >= 60 && duration <= 365 days
            && f0 < LIMIT && f1 < LIMIT && (f0 > 0 || f1 > 0);
        vm.deal(alice, 1);
        vm.prank(alice);
        if (!valid) vm.expectRevert(_err(Adjudicator.InvalidParams.selector));
        adj.deposit{value: 1}(p, 0, 0, 1);
    }

    /// The hand-optimised channel id (seen in the Deposited topic) equals the spec's hash.
    function testFuzz_ChannelIdOfDepositMatchesSpec(uint256 nonce, uint64 duration, uint256 f0, uint256 f1, address asset)
        public
    {
        duration = uint64(bound(duration, 60, 365 days));
        f0 = bound(f0, 1, LIMIT - 1);
        f1 = bound(f1, 0, LIMIT - 1);
        Adjudicator.Params memory p = Adjudicator.Params(alice, bob, address(0), duration, nonce, f0, f1);
        bytes32 expected = keccak256(abi.encode(block.chainid, address(adj), p));
        assertEq(adj.channelId(p), expected, "view");
        vm.recordLogs();
        vm.prank(alice);
        adj.deposit{value: 1}(p, 0, 0, 1);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs[0].topics[1], expected, "id used by deposit");
        // with a token as asset the id differs (the asset is part of the id)
        vm.assume(asset != address(0));
        p.asset = asset;
        assertTrue(adj.channelId(p) != expected, "asset in id");
    }

    /// The hand-optimised digest accepts exactly signatures over the spec's EIP-712 digest.
    function testFuzz_SignaturesOverSpecDigestAccepted(uint64 version, uint256 b0, bool isFinal) public {
        Adjudicator.Params memory p = _params();
        _fund(p);
        b0 = bound(b0, 0, F0 + F1);
        Adjudicator.State memory s = _state(p, version, b0, isFinal);
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("State(bytes32 channelId,uint64 version,uint256 balance0,uint256 balance1,bool isFinal)"),
                s.channelId,
                s.version,
                s.balance0,
                s.balance1,
                s.isFinal
            )
        );
        bytes32 digest = keccak256(abi.encodePacked(hex"1901", adj.domainSeparator(), structHash));
        assertEq(adj.hashState(s), digest, "view digest");
        adj.register(p, s, _sign(PK0, digest), _sign(PK1, digest));
        Info memory i = _info(p);
        assertTrue(isFinal ? i.concluded : i.registered, "accepted");
    }

    /// Registered version only grows, the deadline never moves, equal re-registration is a no-op,
    /// against a model of the rules, for random sequences of versions and times.
    function testFuzz_RegisterSequenceFollowsModel(uint64[6] memory versions, uint32[6] memory waits) public {
        Adjudicator.Params memory p = _params();
        _fund(p);
        bool registered;
        uint64 version;
        uint256 balance0;
        uint256 deadline;
        for (uint256 k = 0; k < versions.length; k++) {
            uint64 v = uint64(bound(versions[k], 0, 8));
            uint256 b = uint256(v) * 0.1 ether; // one balance per version: states are consistent
            vm.warp(block.timestamp + bound(waits[k], 0, CHALLENGE / 2));
            Adjudicator.State memory s = _state(p, v, b, false);
            (bytes memory sig0, bytes memory sig1) = _sigs(s);
            if (!registered) {
                registered = true;
                version = v;
                balance0 = b;
                deadline = block.timestamp + CHALLENGE;
            } else if (v < version) {
                vm.expectRevert(abi.encodeWithSelector(Adjudicator.StaleVersion.selector, version, v));
            } else if (v == version) {
                // no-op
            } else if (block.timestamp >= deadline) {
                vm.expectRevert(abi.encodeWithSelector(Adjudicator.ChallengeExpired.selector, deadline));
            } else {
                version = v;
                balance0 = b;
            }
            adj.register(p, s, sig0, sig1);
            Info memory i = _info(p);
            assertEq(i.version, version, "version");
            assertEq(i.balance0, balance0, "balance0");
            assertEq(i.deadline, deadline, "deadline");
        }
    }

    /// expectedHeld: a deposit tops participant 0 up to expectedHeld + amount, never beyond and
    /// never reverting; what it does not credit goes back to the sender (model: docs/encoding.md).
    function testFuzz_DepositTopsUpToExpectedHeldPlusAmount(uint96 first, uint96 second, uint96 claimed) public {
        vm.assume(first > 0 && second > 0);
        vm.deal(alice, uint256(first) + second);
        Adjudicator.Params memory p = _params();
        vm.startPrank(alice);
        adj.deposit{value: first}(p, 0, 0, first);
        uint256 target = uint256(claimed) + second;
        uint256 credit = target > first ? target - first : 0;
        if (credit > second) credit = second;
        adj.deposit{value: second}(p, 0, claimed, second);
        vm.stopPrank();
        assertEq(_info(p).held0, uint256(first) + credit, "held0");
        assertEq(alice.balance, uint256(second) - credit, "the rest was refunded");
        assertEq(address(adj).balance, uint256(first) + credit, "contract holds exactly the holdings");
        assertLe(_info(p).held0, target > first ? target : first, "never beyond the target");
    }

    /// Extreme expectedHeld values (near 2^256) do not overflow the target computation.
    function testFuzz_DepositExpectedHeldNearUintMax(uint256 claimed, uint96 amount) public {
        vm.assume(amount > 0);
        vm.deal(alice, amount);
        Adjudicator.Params memory p = _params();
        vm.prank(alice);
        adj.deposit{value: amount}(p, 0, claimed, amount);
        assertEq(_info(p).held0, amount, "held0: nothing was held, so the whole amount");
    }
}

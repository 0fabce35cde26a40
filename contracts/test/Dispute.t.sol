// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorTest} from "./utils/AdjudicatorTest.sol";
import {vm} from "./utils/Vm.sol";
import {Adjudicator} from "../src/Adjudicator.sol";

contract DisputeTest is AdjudicatorTest {
    Adjudicator.Params internal p;

    function setUp() public override {
        super.setUp();
        p = _params();
        _fund(p);
    }

    // --- register ---

    function test_Register_First_StoresStateAndFixesDeadline() public {
        Adjudicator.State memory s = _state(p, 3, 0.4 ether, false);
        vm.expectEmit(address(adj));
        emit Registered(_id(p), 3, 0.4 ether, 2.6 ether, T0 + CHALLENGE);
        _register(p, s);
        Info memory i = _info(p);
        assertTrue(i.registered && !i.concluded, "flags");
        assertEq(i.version, 3, "version");
        assertEq(i.balance0, 0.4 ether, "balance0");
        assertEq(i.deadline, T0 + CHALLENGE, "deadline");
        assertEq(i.held0, F0, "holdings untouched");
        assertEq(i.held1, F1, "holdings untouched");
    }

    function test_Register_Refute_HigherVersionReplacesKeepingDeadline() public {
        _register(p, _state(p, 3, 0.4 ether, false));
        vm.warp(T0 + CHALLENGE - 1); // last second
        vm.expectEmit(address(adj));
        emit Refuted(_id(p), 9, 2.9 ether, 0.1 ether, T0 + CHALLENGE);
        _register(p, _state(p, 9, 2.9 ether, false));
        Info memory i = _info(p);
        assertEq(i.version, 9, "version");
        assertEq(i.balance0, 2.9 ether, "balance0");
        assertEq(i.deadline, T0 + CHALLENGE, "deadline unchanged");
    }

    /// A1: a stale state registered after a newer one reverts.
    function test_Register_RevertsWhen_LowerVersion() public {
        _register(p, _state(p, 7, 1 ether, false));
        Adjudicator.State memory stale = _state(p, 5, 3 ether, false);
        (bytes memory sig0, bytes memory sig1) = _sigs(stale);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.StaleVersion.selector, 7, 5));
        adj.register(p, stale, sig0, sig1);
    }

    /// A1: Mallory registers stale v5, Alice refutes with v7 in time and v7 is paid.
    function test_Attack_StaleStateRegistered_ThenRefuted() public {
        Adjudicator.State memory v5 = _state(p, 5, 0.2 ether, false); // good for bob
        Adjudicator.State memory v7 = _state(p, 7, 2.2 ether, false); // latest: good for alice
        (bytes memory a0, bytes memory a1) = _sigs(v5);
        vm.prank(bob);
        adj.register(p, v5, a0, a1);
        vm.warp(T0 + 30 minutes);
        (bytes memory b0, bytes memory b1) = _sigs(v7);
        vm.prank(alice);
        adj.register(p, v7, b0, b1);
        vm.warp(T0 + CHALLENGE);
        uint256 a = alice.balance;
        adj.conclude(p);
        assertEq(alice.balance - a, 2.2 ether, "latest state paid");
    }

    /// A1: a refute after the timeout reverts (also exactly at the deadline).
    function test_Register_RevertsWhen_RefuteAfterDeadline() public {
        _register(p, _state(p, 5, 1 ether, false));
        Adjudicator.State memory v7 = _state(p, 7, 2 ether, false);
        (bytes memory sig0, bytes memory sig1) = _sigs(v7);
        vm.warp(T0 + CHALLENGE);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.ChallengeExpired.selector, T0 + CHALLENGE));
        adj.register(p, v7, sig0, sig1);
        vm.warp(T0 + CHALLENGE + 1 days);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.ChallengeExpired.selector, T0 + CHALLENGE));
        adj.register(p, v7, sig0, sig1);
    }

    /// A2: registering the registered state again is a no-op: no revert, no event, nothing moves.
    function test_Register_IdenticalStateTwice_IsNoOp() public {
        Adjudicator.State memory s = _state(p, 4, 1 ether, false);
        _register(p, s);
        Info memory before = _info(p);
        vm.warp(T0 + 10 minutes);
        vm.recordLogs();
        _register(p, s);
        assertEq(vm.getRecordedLogs().length, 0, "no event");
        Info memory afterwards = _info(p);
        assertEq(afterwards.deadline, before.deadline, "deadline");
        assertEq(afterwards.version, before.version, "version");
        // even after the deadline, as long as nobody concluded
        vm.warp(T0 + CHALLENGE + 5);
        _register(p, s);
        assertEq(_info(p).deadline, before.deadline, "deadline after timeout");
    }

    function test_Register_RevertsWhen_SameVersionDifferentBalances() public {
        _register(p, _state(p, 4, 1 ether, false));
        Adjudicator.State memory other = _state(p, 4, 1.1 ether, false);
        (bytes memory sig0, bytes memory sig1) = _sigs(other);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.ConflictingState.selector, 4));
        adj.register(p, other, sig0, sig1);
    }

    /// A3: a chain of refutes v1 -> ... -> v12 cannot delay settlement past the first deadline.
    function test_Attack_ChainOfRefutes_DoesNotMoveDeadline() public {
        _register(p, _state(p, 1, 1 ether, false));
        for (uint64 v = 2; v <= 12; v++) {
            vm.warp(T0 + v * 5 minutes - 5 minutes + 1);
            if (block.timestamp >= T0 + CHALLENGE) break;
            _register(p, _state(p, v, uint256(v) * 0.1 ether, false));
            assertEq(_info(p).deadline, T0 + CHALLENGE, "deadline fixed");
        }
        vm.warp(T0 + CHALLENGE);
        adj.conclude(p); // settles at the first registration's deadline
        assertTrue(_info(p).concluded, "concluded on time");
    }

    /// A8: front-running. Attacker and honest party submit v7 in the same block, in both
    /// orders: v7 is registered either way and the honest transaction does not revert.
    function test_Attack_FrontRunning_SameStateSameBlock_AttackerFirst() public {
        _register(p, _state(p, 5, 0.5 ether, false)); // a stale state already registered
        Adjudicator.State memory v7 = _state(p, 7, 2 ether, false);
        (bytes memory sig0, bytes memory sig1) = _sigs(v7);
        vm.prank(mallory);
        adj.register(p, v7, sig0, sig1); // copied from the mempool
        vm.prank(alice);
        adj.register(p, v7, sig0, sig1); // the honest one, same block: no revert
        assertEq(_info(p).version, 7, "v7 registered");
        vm.warp(T0 + CHALLENGE);
        uint256 a = alice.balance;
        adj.conclude(p);
        assertEq(alice.balance - a, 2 ether, "v7 paid");
    }

    function test_Attack_FrontRunning_SameStateSameBlock_HonestFirst() public {
        Adjudicator.State memory v7 = _state(p, 7, 2 ether, false);
        (bytes memory sig0, bytes memory sig1) = _sigs(v7);
        vm.prank(alice);
        adj.register(p, v7, sig0, sig1);
        vm.prank(mallory);
        adj.register(p, v7, sig0, sig1);
        assertEq(_info(p).version, 7, "v7 registered");
        assertEq(_info(p).deadline, T0 + CHALLENGE, "deadline of the first");
        vm.warp(T0 + CHALLENGE);
        uint256 a = alice.balance;
        adj.conclude(p);
        assertEq(alice.balance - a, 2 ether, "v7 paid");
    }

    /// A8 with a first registration: both first-register v7 in the same block.
    function test_Attack_FrontRunning_FirstRegistration_BothOrders() public {
        Adjudicator.State memory v7 = _state(p, 7, 2 ether, false);
        (bytes memory sig0, bytes memory sig1) = _sigs(v7);
        uint256 snap = vm.snapshotState();
        vm.prank(mallory);
        adj.register(p, v7, sig0, sig1);
        vm.prank(alice);
        adj.register(p, v7, sig0, sig1);
        Info memory one = _info(p);
        vm.revertToState(snap);
        vm.prank(alice);
        adj.register(p, v7, sig0, sig1);
        vm.prank(mallory);
        adj.register(p, v7, sig0, sig1);
        Info memory two = _info(p);
        assertEq(one.version, 7, "v7");
        assertEq(two.version, 7, "v7");
        assertEq(one.deadline, two.deadline, "same deadline");
    }

    function test_Register_FinalState_ConcludesAtOnce() public {
        uint256 a = alice.balance;
        vm.expectEmit(address(adj));
        emit Concluded(_id(p), 8, 1.2 ether, 1.8 ether);
        _register(p, _state(p, 8, 1.2 ether, true));
        assertEq(alice.balance - a, 1.2 ether, "paid");
        assertTrue(_info(p).concluded, "concluded");
    }

    function test_Register_FinalState_DuringDispute() public {
        _register(p, _state(p, 3, 1 ether, false));
        _register(p, _state(p, 4, 2 ether, true));
        Info memory i = _info(p);
        assertTrue(i.concluded && !i.registered, "concluded, dispute cleared");
    }

    function test_Register_RevertsWhen_FinalStateOlderThanRegistered() public {
        _register(p, _state(p, 3, 1 ether, false));
        Adjudicator.State memory s = _state(p, 2, 2 ether, true);
        (bytes memory sig0, bytes memory sig1) = _sigs(s);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.StaleVersion.selector, 3, 2));
        adj.register(p, s, sig0, sig1);
    }

    function test_Register_RevertsWhen_Concluded() public {
        Adjudicator.State memory s = _state(p, 3, 1 ether, false);
        _register(p, s);
        vm.warp(T0 + CHALLENGE);
        adj.conclude(p);
        (bytes memory sig0, bytes memory sig1) = _sigs(s);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.ChannelConcluded.selector, _id(p)));
        adj.register(p, s, sig0, sig1);
    }

    function test_Register_RevertsWhen_BadSignatureOrState() public {
        Adjudicator.State memory s = _state(p, 3, 1 ether, false);
        (bytes memory sig0, bytes memory sig1) = _sigs(s);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.InvalidSignature.selector, 0));
        adj.register(p, s, sig1, sig1);
        s.balance1 += 1;
        (sig0, sig1) = _sigs(s);
        vm.expectRevert(_err(Adjudicator.BalancesMismatch.selector));
        adj.register(p, s, sig0, sig1);
        Adjudicator.Params memory q = _params();
        q.participant0 = address(0);
        vm.expectRevert(_err(Adjudicator.InvalidParams.selector));
        adj.register(q, s, sig0, sig1);
    }

    /// The identical re-registration still needs valid signatures.
    function test_Register_IdenticalState_StillChecksSignatures() public {
        Adjudicator.State memory s = _state(p, 4, 1 ether, false);
        _register(p, s);
        (bytes memory sig0,) = _sigs(s);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.InvalidSignature.selector, 1));
        adj.register(p, s, sig0, sig0);
    }

    function test_Register_OnUnfundedChannel_ConcludesWithNothing() public {
        Adjudicator.Params memory q = _params(address(0), 99, F0, F1);
        _register(q, _state(q, 0, F0, false));
        vm.warp(T0 + CHALLENGE);
        vm.expectEmit(address(adj));
        emit Concluded(_id(q), 0, 0, 0);
        adj.conclude(q);
        assertEq(address(adj).balance, F0 + F1, "the other channel's funds untouched");
    }

    // --- conclude ---

    function test_Conclude_PaysRegisteredStateAtDeadline() public {
        _register(p, _state(p, 3, 0.4 ether, false));
        vm.warp(T0 + CHALLENGE);
        uint256 a = alice.balance;
        uint256 b = bob.balance;
        vm.expectEmit(address(adj));
        emit Concluded(_id(p), 3, 0.4 ether, 2.6 ether);
        vm.prank(mallory); // anyone may conclude
        adj.conclude(p);
        assertEq(alice.balance - a, 0.4 ether, "alice");
        assertEq(bob.balance - b, 2.6 ether, "bob");
        assertEq(address(adj).balance, 0, "empty");
        Info memory i = _info(p);
        assertTrue(i.concluded && !i.registered, "flags");
    }

    /// A9: conclude before the timeout reverts.
    function test_Conclude_RevertsWhen_BeforeDeadline() public {
        _register(p, _state(p, 3, 0.4 ether, false));
        vm.warp(T0 + CHALLENGE - 1);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.ChallengeNotExpired.selector, T0 + CHALLENGE));
        adj.conclude(p);
    }

    function test_Conclude_RevertsWhen_NothingRegistered() public {
        vm.expectRevert(_err(Adjudicator.NotRegistered.selector));
        adj.conclude(p);
    }

    /// A9: concluding twice reverts (no double payout).
    function test_Conclude_RevertsWhen_AlreadyConcluded() public {
        _register(p, _state(p, 3, 0.4 ether, false));
        vm.warp(T0 + CHALLENGE);
        adj.conclude(p);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.ChannelConcluded.selector, _id(p)));
        adj.conclude(p);
    }

    function test_Conclude_RevertsWhen_InvalidParams() public {
        Adjudicator.Params memory q = _params();
        q.funding0 = 0;
        q.funding1 = 0;
        vm.expectRevert(_err(Adjudicator.InvalidParams.selector));
        adj.conclude(q);
    }

    function test_Conclude_ReturnsOverDeposit() public {
        _deposit(p, 1, 0.7 ether); // bob tops up beyond his funding
        _register(p, _state(p, 2, 1 ether, false));
        vm.warp(T0 + CHALLENGE);
        uint256 b = bob.balance;
        adj.conclude(p);
        assertEq(bob.balance - b, 2 ether + 0.7 ether, "balance1 plus the excess");
    }

    /// A14: the peer never deposits; the funded party gets exactly its deposit back via v0.
    function test_Attack_Underfunded_PeerNeverDeposits_RecoverViaV0() public {
        Adjudicator.Params memory q = _params(address(0), 2, F0, F1);
        _deposit(q, 0, F0);
        uint256 a = alice.balance;
        _register(q, _state(q, 0, F0, false)); // v0: balances = fundings
        vm.warp(T0 + CHALLENGE);
        adj.conclude(q);
        assertEq(alice.balance - a, F0, "exactly the deposit");
        assertEq(address(adj).balance, F0 + F1, "only the other channel remains");
    }

    /// A14: underfunded with a later state: still only what each holds.
    function test_Underfunded_PartialPeerDeposit_EachGetsItsHoldings() public {
        Adjudicator.Params memory q = _params(address(0), 3, F0, F1);
        _deposit(q, 0, F0);
        _deposit(q, 1, F1 - 1); // one wei short
        uint256 a = alice.balance;
        uint256 b = bob.balance;
        _register(q, _state(q, 5, F0 + F1, false));
        vm.warp(T0 + CHALLENGE);
        adj.conclude(q);
        assertEq(alice.balance - a, F0, "alice: her holdings");
        assertEq(bob.balance - b, F1 - 1, "bob: his holdings");
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorTest} from "./utils/AdjudicatorTest.sol";
import {vm} from "./utils/Vm.sol";
import {Adjudicator} from "../src/Adjudicator.sol";
import {
    RevertingReceiver,
    GasBurner,
    ReturnBomb,
    HeavyReceiver,
    ReentrantReceiver,
    RedepositingReceiver
} from "./mocks/Receivers.sol";

/// Pushed ETH payouts to hostile or heavy recipients, credits and withdrawals (A9, A10, A11).
/// Participants get contract code with vm.etch (as an EIP-7702 account would) so that they can
/// still sign with their keys.
contract PayoutTest is AdjudicatorTest {
    Adjudicator.Params internal p;
    address internal rescue = address(0x5AFE);

    function setUp() public override {
        super.setUp();
        p = _params();
        _fund(p);
    }

    function _closeData(Adjudicator.Params memory q, uint64 version, uint256 b0) internal view returns (bytes memory) {
        Adjudicator.State memory s = _state(q, version, b0, true);
        (bytes memory sig0, bytes memory sig1) = _sigs(s);
        return abi.encodeCall(Adjudicator.close, (q, s, sig0, sig1));
    }

    // --- a recipient that reverts ---

    function test_Payout_RevertingRecipient_OtherPaid_VictimCredited() public {
        vm.etch(bob, address(new RevertingReceiver()).code);
        uint256 a = alice.balance;
        vm.expectEmit(address(adj));
        emit PayoutCredited(_id(p), bob, address(0), 1.8 ether);
        _close(p, _state(p, 2, 1.2 ether, true));
        assertEq(alice.balance - a, 1.2 ether, "alice paid despite bob");
        assertEq(adj.credits(bob, address(0)), 1.8 ether, "bob credited");
        assertEq(address(adj).balance, 1.8 ether, "exactly the credit stays");

        // bob still cannot receive: withdraw reverts and keeps the credit
        vm.prank(bob);
        vm.expectRevert(_err(Adjudicator.WithdrawFailed.selector));
        adj.withdraw(address(0));
        assertEq(adj.credits(bob, address(0)), 1.8 ether, "credit kept");

        // so he withdraws to another address
        vm.expectEmit(address(adj));
        emit Withdrawn(bob, address(0), rescue, 1.8 ether);
        vm.prank(bob);
        adj.withdrawTo(address(0), rescue);
        assertEq(rescue.balance, 1.8 ether, "rescued");
        assertEq(address(adj).balance, 0, "empty");

        // A9: double withdraw reverts
        vm.prank(bob);
        vm.expectRevert(_err(Adjudicator.NothingToWithdraw.selector));
        adj.withdrawTo(address(0), rescue);
    }

    function test_Payout_RevertingRecipientAsParticipant0_InConclude() public {
        vm.etch(alice, address(new RevertingReceiver()).code);
        _register(p, _state(p, 2, 1.2 ether, false));
        vm.warp(T0 + CHALLENGE);
        uint256 b = bob.balance;
        adj.conclude(p);
        assertEq(bob.balance - b, 1.8 ether, "bob paid after alice's push failed");
        assertEq(adj.credits(alice, address(0)), 1.2 ether, "alice credited");
    }

    // --- a recipient that burns gas ---

    function test_Payout_GasBurningRecipient_OtherPaid_GasBounded() public {
        vm.etch(alice, address(new GasBurner()).code); // pushed first
        uint256 b = bob.balance;
        bytes memory data = _closeData(p, 2, 1.2 ether);
        uint256 g = gasleft();
        (bool ok,) = address(adj).call(data);
        uint256 used = g - gasleft();
        assertTrue(ok, "close succeeded");
        assertEq(bob.balance - b, 1.8 ether, "bob paid");
        assertEq(adj.credits(alice, address(0)), 1.2 ether, "alice credited");
        assertLe(used, 200_000, "the burner costs at most its gas allowance");

        vm.etch(alice, ""); // alice's account becomes a plain EOA again
        uint256 a = alice.balance;
        vm.prank(alice);
        adj.withdraw(address(0));
        assertEq(alice.balance - a, 1.2 ether, "alice withdrew her credit");
    }

    function test_Payout_ReturnDataBomb_IsNotCopied() public {
        vm.etch(bob, address(new ReturnBomb()).code);
        bytes memory data = _closeData(p, 2, 1.2 ether);
        uint256 g = gasleft();
        (bool ok,) = address(adj).call(data);
        assertTrue(ok, "close succeeded");
        assertLe(g - gasleft(), 200_000, "no megabyte copied");
        assertEq(adj.credits(bob, address(0)), 1.8 ether, "bob credited");
    }

    function test_Payout_SmartWalletWithinAllowance_IsPaid() public {
        vm.etch(bob, address(new HeavyReceiver(40_000)).code);
        _close(p, _state(p, 2, 1.2 ether, true));
        assertEq(HeavyReceiver(payable(bob)).received(), 1.8 ether, "paid");
        assertEq(adj.credits(bob, address(0)), 0, "no credit");
    }

    function test_Payout_RecipientNeedingMoreThanAllowance_IsCredited() public {
        vm.etch(bob, address(new HeavyReceiver(adj.PAYOUT_GAS() + 10_000)).code);
        _close(p, _state(p, 2, 1.2 ether, true));
        assertEq(adj.credits(bob, address(0)), 1.8 ether, "credited");
        vm.prank(bob);
        adj.withdraw(address(0)); // withdraw forwards all gas
        assertEq(HeavyReceiver(payable(bob)).received(), 1.8 ether, "withdrawn");
    }

    /// A caller cannot starve a recipient (EIP-150) to turn its payout into a credit: with too
    /// little gas the whole close runs out of gas instead.
    function testFuzz_Payout_StarvingTheRecipientRevertsInsteadOfCrediting(uint256 gasLimit) public {
        gasLimit = bound(gasLimit, 40_000, 400_000);
        vm.etch(bob, address(new HeavyReceiver(40_000)).code);
        bytes memory data = _closeData(p, 2, 1.2 ether);
        (bool ok,) = address(adj).call{gas: gasLimit}(data);
        if (ok) {
            assertEq(adj.credits(bob, address(0)), 0, "succeeded with a starved, credited recipient");
            assertEq(HeavyReceiver(payable(bob)).received(), 1.8 ether, "paid");
        } else {
            assertFalse(_info(p).concluded, "reverted entirely");
        }
    }

    /// A failing recipient with too little gas around is not credited: InsufficientGas, and the
    /// same transaction with more gas credits it.
    function test_Payout_FailureWithTooLittleGas_RevertsInsufficientGas() public {
        vm.etch(bob, address(new RevertingReceiver()).code);
        bytes memory data = _closeData(p, 2, 1.2 ether);
        bool sawInsufficientGas;
        for (uint256 g = 60_000; g < 160_000; g += 2_000) {
            (bool ok, bytes memory ret) = address(adj).call{gas: g}(data);
            if (!ok && keccak256(ret) == keccak256(_err(Adjudicator.InsufficientGas.selector))) sawInsufficientGas = true;
            if (ok) break;
        }
        assertTrue(sawInsufficientGas, "InsufficientGas seen below the threshold");
        assertEq(adj.credits(bob, address(0)), 1.8 ether, "credited once there was enough gas");
    }

    // --- A10 reentrancy ---

    function _armBob(bytes memory data, bool swallow) internal {
        vm.etch(bob, address(new ReentrantReceiver()).code);
        ReentrantReceiver(payable(bob)).arm(address(adj), data, swallow);
    }

    function test_Attack_Reentrancy_WithdrawFromFallback() public {
        // bob already has a credit from an earlier channel, and re-enters withdraw while paid
        Adjudicator.Params memory q = _params(address(0), 2, F0, F1);
        _fund(q);
        vm.etch(bob, address(new RevertingReceiver()).code);
        _close(q, _state(q, 1, F0, true));
        assertEq(adj.credits(bob, address(0)), F1, "earlier credit");

        _armBob(abi.encodeCall(Adjudicator.withdraw, (address(0))), false);
        _close(p, _state(p, 2, 1.2 ether, true));
        assertEq(adj.credits(bob, address(0)), F1 + 1.8 ether, "re-entry blocked, payout credited");
        assertEq(address(adj).balance, F1 + 1.8 ether, "conserved: contract holds the credits");
    }

    /// An ETH deposit takes no lock, so a recipient may deposit into the very channel that is
    /// paying it. That channel is already concluded when the payouts go out (checks-effects-
    /// interactions), so the deposit is refused and no ether is stranded outside the accounting.
    /// The locks do not cover this: it fails only when the concluded flag is written after the pushes.
    function test_Attack_Reentrancy_DepositIntoTheConcludingChannelFromFallback() public {
        vm.etch(bob, address(new RedepositingReceiver(adj, p, F1)).code);
        uint256 b = bob.balance;
        _close(p, _state(p, 2, 1.2 ether, true));
        assertEq(bob.balance - b, 1.8 ether, "bob paid; his deposit into the concluded channel refused");
        assertEq(adj.credits(bob, address(0)), 0, "paid, not credited");
        assertEq(address(adj).balance, 0, "nothing stranded");
    }

    function test_Attack_Reentrancy_ConcludeFromFallback() public {
        _register(p, _state(p, 2, 1.2 ether, false));
        vm.warp(T0 + CHALLENGE);
        _armBob(abi.encodeCall(Adjudicator.conclude, (p)), false);
        uint256 a = alice.balance;
        adj.conclude(p);
        assertEq(alice.balance - a, 1.2 ether, "alice paid once");
        assertEq(adj.credits(bob, address(0)), 1.8 ether, "bob credited once");
        assertEq(address(adj).balance, 1.8 ether, "conserved");
    }

    function test_Attack_Reentrancy_CloseFromFallback_SwallowedReentry() public {
        bytes memory again = _closeData(p, 2, 1.2 ether);
        _armBob(again, true); // bob accepts the payment whatever happens to the re-entry
        uint256 b = bob.balance;
        (bool ok,) = address(adj).call(again);
        assertTrue(ok, "close");
        uint256 gained = bob.balance - b + adj.credits(bob, address(0));
        assertEq(gained, 1.8 ether, "bob got his payout exactly once");
        assertEq(address(adj).balance, adj.credits(bob, address(0)), "conserved");
        assertFalse(ReentrantReceiver(payable(bob)).reentrySucceeded(), "re-entry failed");
    }

    function test_Attack_Reentrancy_CloseOfAnotherChannelFromFallback() public {
        Adjudicator.Params memory q = _params(address(0), 2, F0, F1);
        _fund(q);
        bytes memory closeQ = _closeData(q, 1, 0.5 ether);
        _armBob(closeQ, false);
        _close(p, _state(p, 2, 1.2 ether, true));
        assertFalse(_info(q).concluded, "the other channel was not touched from the callback");
        assertEq(adj.credits(bob, address(0)), 1.8 ether, "bob's payout credited");
        // outside the callback it closes normally
        vm.etch(bob, "");
        (bool ok,) = address(adj).call(closeQ);
        assertTrue(ok, "closes normally");
        assertEq(address(adj).balance, 1.8 ether, "only bob's credit remains");
    }

    function test_Attack_Reentrancy_RegisterFromFallback() public {
        Adjudicator.Params memory q = _params(address(0), 2, F0, F1);
        _fund(q);
        Adjudicator.State memory s = _state(q, 1, 0.5 ether, false);
        (bytes memory sig0, bytes memory sig1) = _sigs(s);
        _armBob(abi.encodeCall(Adjudicator.register, (q, s, sig0, sig1)), true);
        _close(p, _state(p, 2, 1.2 ether, true));
        assertFalse(ReentrantReceiver(payable(bob)).reentrySucceeded(), "re-entry failed");
        assertFalse(_info(q).registered, "nothing registered from the callback");
    }

    // --- withdraw ---

    function test_Withdraw_RevertsWhen_NothingToWithdraw() public {
        vm.prank(alice);
        vm.expectRevert(_err(Adjudicator.NothingToWithdraw.selector));
        adj.withdraw(address(0));
    }

    function test_WithdrawTo_RevertsWhen_ZeroRecipient() public {
        vm.prank(alice);
        vm.expectRevert(_err(Adjudicator.ZeroRecipient.selector));
        adj.withdrawTo(address(0), address(0));
    }

    /// A9: double withdraw reverts.
    function test_Withdraw_Twice_Reverts() public {
        vm.etch(bob, address(new RevertingReceiver()).code);
        _close(p, _state(p, 2, 1.2 ether, true));
        vm.etch(bob, "");
        uint256 b = bob.balance;
        vm.expectEmit(address(adj));
        emit Withdrawn(bob, address(0), bob, 1.8 ether);
        vm.prank(bob);
        adj.withdraw(address(0));
        assertEq(bob.balance - b, 1.8 ether, "withdrawn");
        vm.prank(bob);
        vm.expectRevert(_err(Adjudicator.NothingToWithdraw.selector));
        adj.withdraw(address(0));
    }

    /// Forced ETH (selfdestruct, coinbase) does not change anyone's holdings or payouts.
    function test_ForcedEth_DoesNotChangeAccounting() public {
        vm.deal(address(adj), address(adj).balance + 5 ether);
        uint256 a = alice.balance;
        uint256 b = bob.balance;
        _close(p, _state(p, 2, 1.2 ether, true));
        assertEq(alice.balance - a + bob.balance - b, F0 + F1, "paid exactly the holdings");
        assertEq(address(adj).balance, 5 ether, "the stray ETH stays");
    }
}

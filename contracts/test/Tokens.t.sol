// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorTest} from "./utils/AdjudicatorTest.sol";
import {vm} from "./utils/Vm.sol";
import {Adjudicator} from "../src/Adjudicator.sol";
import {TestToken} from "./mocks/TestToken.sol";
import {
    BaseMockToken,
    NoReturnToken,
    FalseReturnToken,
    FeeOnTransferToken,
    RevertOnZeroToken,
    BlacklistToken,
    HookToken
} from "./mocks/MockTokens.sol";
import {ReentrantReceiver, GasHungryHook} from "./mocks/Receivers.sol";

/// A11: ERC-20 channels with standard and misbehaving tokens, end to end.
contract TokensTest is AdjudicatorTest {
    address internal rescue = address(0x5AFE);

    function _openWith(address token) internal returns (Adjudicator.Params memory p) {
        BaseMockToken(token).mint(alice, 10 ether);
        BaseMockToken(token).mint(bob, 10 ether);
        vm.prank(alice);
        BaseMockToken(token).approve(address(adj), type(uint256).max);
        vm.prank(bob);
        BaseMockToken(token).approve(address(adj), type(uint256).max);
        p = _params(token);
        _fund(p);
    }

    function _bal(address token, address who) internal view returns (uint256) {
        return BaseMockToken(token).balanceOf(who);
    }

    function test_Token_StandardLifecycle_CloseAndConclude() public {
        TestToken t = new TestToken();
        t.mint(alice, 10 ether);
        t.mint(bob, 10 ether);
        vm.prank(alice);
        t.approve(address(adj), type(uint256).max);
        vm.prank(bob);
        t.approve(address(adj), type(uint256).max);
        Adjudicator.Params memory p = _params(address(t));
        _fund(p);
        _close(p, _state(p, 4, 2 ether, true));
        assertEq(t.balanceOf(alice), 10 ether + 1 ether, "alice");
        assertEq(t.balanceOf(bob), 10 ether - 1 ether, "bob");

        Adjudicator.Params memory q = _params(address(t), 2, F0, F1);
        _fund(q);
        _register(q, _state(q, 1, 0.5 ether, false));
        vm.warp(T0 + CHALLENGE);
        adj.conclude(q);
        assertEq(t.balanceOf(address(adj)), 0, "all paid out");
    }

    function test_Token_NoReturn_Lifecycle() public {
        NoReturnToken t = new NoReturnToken();
        Adjudicator.Params memory p = _openWith(address(t));
        _close(p, _state(p, 1, 0.25 ether, true));
        assertEq(_bal(address(t), alice), 10 ether - F0 + 0.25 ether, "alice");
        assertEq(_bal(address(t), bob), 10 ether - F1 + 2.75 ether, "bob");
        assertEq(_bal(address(t), address(adj)), 0, "empty");
    }

    function test_Token_FalseReturnOnPayout_IsCredited_ThenWithdrawn() public {
        FalseReturnToken t = new FalseReturnToken();
        Adjudicator.Params memory p = _openWith(address(t));
        t.setBroken(true);
        _close(p, _state(p, 1, 1.5 ether, true));
        assertEq(adj.credits(alice, address(t)), 1.5 ether, "alice credited");
        assertEq(adj.credits(bob, address(t)), 1.5 ether, "bob credited");
        vm.prank(alice);
        vm.expectRevert(); // still broken: SafeERC20 reverts on false
        adj.withdraw(address(t));
        t.setBroken(false);
        vm.prank(alice);
        adj.withdraw(address(t));
        assertEq(_bal(address(t), alice), 10 ether - F0 + 1.5 ether, "alice withdrew");
        assertEq(adj.credits(alice, address(t)), 0, "credit gone");
    }

    function test_Token_FeeOnTransfer_NeverPaysMoreThanHeld() public {
        FeeOnTransferToken t = new FeeOnTransferToken();
        t.mint(alice, 10 ether);
        t.mint(bob, 10 ether);
        vm.prank(alice);
        t.approve(address(adj), type(uint256).max);
        vm.prank(bob);
        t.approve(address(adj), type(uint256).max);
        Adjudicator.Params memory p = _params(address(t));
        // deposits arrive net of the 1 % fee: top up until the funding is reached
        vm.prank(alice);
        adj.deposit(p, 0, 0, F0); // 0.99 arrives
        vm.prank(alice);
        adj.deposit(p, 0, 0.99 ether, 0.02 ether); // 0.0198 more
        vm.prank(bob);
        adj.deposit(p, 1, 0, 2.03 ether); // 2.0097
        Info memory i = _info(p);
        assertEq(i.held0, 0.99 ether + 0.0198 ether, "held0");
        assertEq(i.held1, 2.0097 ether, "held1");
        _close(p, _state(p, 1, 1 ether, true));
        // the contract sends exactly the holdings (the recipients bear the outgoing fee)
        assertEq(t.balanceOf(address(adj)), 0, "paid exactly what arrived");
    }

    function test_Token_RevertOnZero_ZeroPayoutIsSkipped() public {
        RevertOnZeroToken t = new RevertOnZeroToken();
        Adjudicator.Params memory p = _openWith(address(t));
        _close(p, _state(p, 1, F0 + F1, true)); // bob's payout is 0
        assertEq(_bal(address(t), alice), 10 ether - F0 + 3 ether, "alice");
        assertEq(adj.credits(bob, address(t)), 0, "no credit for a zero payout");
    }

    function test_Token_BlacklistedRecipient_OtherPaid_WithdrawToAnotherAddress() public {
        BlacklistToken t = new BlacklistToken();
        Adjudicator.Params memory p = _openWith(address(t));
        t.setBlacklisted(bob, true);
        vm.expectEmit(address(adj));
        emit PayoutCredited(_id(p), bob, address(t), 2 ether);
        _close(p, _state(p, 1, 1 ether, true));
        assertEq(_bal(address(t), alice), 10 ether, "alice paid");
        assertEq(adj.credits(bob, address(t)), 2 ether, "bob credited");
        vm.prank(bob);
        vm.expectRevert(); // still blacklisted
        adj.withdraw(address(t));
        vm.prank(bob);
        adj.withdrawTo(address(t), rescue);
        assertEq(_bal(address(t), rescue), 2 ether, "rescued");
        vm.prank(bob);
        vm.expectRevert(_err(Adjudicator.NothingToWithdraw.selector));
        adj.withdrawTo(address(t), rescue);
    }

    /// A10: an ERC777-style recipient hook re-entering conclude/withdraw from the payout.
    function test_Attack_HookToken_RecipientReentersConclude() public {
        HookToken t = new HookToken();
        Adjudicator.Params memory p = _openWith(address(t));
        _register(p, _state(p, 1, 1 ether, false));
        vm.warp(T0 + CHALLENGE);
        vm.etch(bob, address(new ReentrantReceiver()).code);
        t.setHooked(bob, true);
        ReentrantReceiver(payable(bob)).arm(address(adj), abi.encodeCall(Adjudicator.conclude, (p)), false);
        adj.conclude(p);
        assertEq(_bal(address(t), alice), 10 ether, "alice paid once");
        assertEq(adj.credits(bob, address(t)), 2 ether, "bob's rejected transfer credited once");
        assertEq(_bal(address(t), address(adj)), 2 ether, "conserved");
    }

    function test_Attack_HookToken_RecipientReentersWithdraw_Swallowed() public {
        HookToken t = new HookToken();
        Adjudicator.Params memory p = _openWith(address(t));
        vm.etch(bob, address(new ReentrantReceiver()).code);
        t.setHooked(bob, true);
        ReentrantReceiver(payable(bob)).arm(address(adj), abi.encodeCall(Adjudicator.withdraw, (address(t))), true);
        _close(p, _state(p, 1, 1 ether, true));
        assertFalse(ReentrantReceiver(payable(bob)).reentrySucceeded(), "blocked");
        assertEq(_bal(address(t), bob), 10 ether - F1 + 2 ether, "bob paid once");
        assertEq(_bal(address(t), address(adj)), 0, "conserved");
    }

    /// Starving a token recipient's hook does not turn its payout into a credit.
    function testFuzz_Token_StarvingTheRecipientRevertsInsteadOfCrediting(uint256 gasLimit) public {
        gasLimit = bound(gasLimit, 60_000, 700_000);
        HookToken t = new HookToken();
        Adjudicator.Params memory p = _openWith(address(t));
        vm.etch(bob, address(new GasHungryHook(70_000)).code); // fits TOKEN_PAYOUT_GAS
        t.setHooked(bob, true);
        Adjudicator.State memory s = _state(p, 1, 1 ether, true);
        (bytes memory sig0, bytes memory sig1) = _sigs(s);
        (bool ok,) = address(adj).call{gas: gasLimit}(abi.encodeCall(Adjudicator.close, (p, s, sig0, sig1)));
        if (ok) assertEq(adj.credits(bob, address(t)), 0, "credited a starved recipient");
    }

    /// A15: tokens sent straight to the adjudicator are nobody's holdings.
    function test_Token_DirectTransfer_DoesNotCorruptPayouts() public {
        TestToken t = new TestToken();
        t.mint(mallory, 50 ether);
        Adjudicator.Params memory p;
        {
            t.mint(alice, 10 ether);
            t.mint(bob, 10 ether);
            vm.prank(alice);
            t.approve(address(adj), type(uint256).max);
            vm.prank(bob);
            t.approve(address(adj), type(uint256).max);
            p = _params(address(t));
            _fund(p);
        }
        vm.prank(mallory);
        t.transfer(address(adj), 50 ether);
        _close(p, _state(p, 1, 1 ether, true));
        assertEq(t.balanceOf(alice), 10 ether, "alice: exactly her balance");
        assertEq(t.balanceOf(bob), 10 ether, "bob: exactly his balance");
        assertEq(t.balanceOf(address(adj)), 50 ether, "the stray tokens stay");
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorTest} from "./utils/AdjudicatorTest.sol";
import {vm} from "./utils/Vm.sol";
import {Adjudicator} from "../src/Adjudicator.sol";
import {RebasingToken} from "./mocks/RebasingToken.sol";

/// A11 (rebasing tokens): the contract's token balance moves without a transfer. Accounting stays
/// per channel and per deposit: a positive rebase is never paid out (it stays in the contract), a
/// negative one never blocks a conclusion — payouts the contract cannot make become credits.
/// Rebasing tokens are not supported as channel assets; these tests pin down that they cannot
/// corrupt other channels' accounting or brick a channel.
contract TokensRebasingTest is AdjudicatorTest {
    RebasingToken internal t;

    function setUp() public override {
        super.setUp();
        t = new RebasingToken();
        t.mint(alice, 10 ether);
        t.mint(bob, 10 ether);
        vm.prank(alice);
        t.approve(address(adj), type(uint256).max);
        vm.prank(bob);
        t.approve(address(adj), type(uint256).max);
    }

    function _open(uint256 nonce) internal returns (Adjudicator.Params memory p) {
        p = _params(address(t), nonce, F0, F1);
        _fund(p);
    }

    function test_Token_Rebasing_PositiveRebase_PaysExactlyTheStatesAndKeepsTheSurplus() public {
        Adjudicator.Params memory p = _open(1);
        Adjudicator.Params memory q = _open(2);
        t.rebase(2e18); // every balance doubles: the contract holds 12 for 6 credited
        assertEq(t.balanceOf(address(adj)), 12 ether, "rebased");

        uint256 a0 = t.balanceOf(alice);
        uint256 b0 = t.balanceOf(bob);
        _close(p, _state(p, 1, 0.5 ether, true));
        assertEq(t.balanceOf(alice) - a0, 0.5 ether, "alice paid her balance in p, not more");
        assertEq(t.balanceOf(bob) - b0, 2.5 ether, "bob paid his balance in p, not more");

        _register(q, _state(q, 3, 2 ether, false));
        vm.warp(T0 + CHALLENGE);
        adj.conclude(q);
        assertEq(t.balanceOf(alice) - a0, 2.5 ether, "alice: p and q");
        assertEq(t.balanceOf(bob) - b0, 3.5 ether, "bob: p and q");
        assertEq(t.balanceOf(address(adj)), 6 ether, "the rebase surplus stays in the contract");
        assertEq(adj.credits(alice, address(t)) + adj.credits(bob, address(t)), 0, "nothing owed");
    }

    function test_Token_Rebasing_NegativeRebase_ConcludesAndOwesTheShortfallAsCredits() public {
        Adjudicator.Params memory p = _open(1);
        Adjudicator.Params memory q = _open(2);
        t.rebase(0.5e18); // every balance halves: the contract holds 3 for 6 credited
        assertEq(t.balanceOf(address(adj)), 3 ether, "rebased");

        // The first channel to close is paid in full (3 of the 3 left) ...
        uint256 a0 = t.balanceOf(alice);
        uint256 b0 = t.balanceOf(bob);
        _close(p, _state(p, 1, 0.5 ether, true));
        assertEq(t.balanceOf(alice) - a0, 0.5 ether, "alice paid in p");
        assertEq(t.balanceOf(bob) - b0, 2.5 ether, "bob paid in p");
        assertEq(t.balanceOf(address(adj)), 0, "empty");

        // ... the second still concludes (no revert, terminal), and what cannot be paid is owed.
        _close(q, _state(q, 1, 2 ether, true));
        assertTrue(_info(q).concluded, "q concluded");
        assertEq(adj.credits(alice, address(t)), 2 ether, "alice credited");
        assertEq(adj.credits(bob, address(t)), 1 ether, "bob credited");
        vm.prank(alice);
        vm.expectRevert();
        adj.withdraw(address(t));
        assertEq(adj.credits(alice, address(t)), 2 ether, "a failed withdraw keeps the credit");

        // Once the tokens are there again, the credit is withdrawn exactly once.
        t.mint(address(adj), 3 ether);
        vm.prank(alice);
        adj.withdraw(address(t));
        assertEq(t.balanceOf(alice) - a0, 2.5 ether, "alice: p and her credit");
        vm.prank(alice);
        vm.expectRevert(_err(Adjudicator.NothingToWithdraw.selector));
        adj.withdraw(address(t));
    }
}

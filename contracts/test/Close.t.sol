// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorTest} from "./utils/AdjudicatorTest.sol";
import {vm} from "./utils/Vm.sol";
import {Adjudicator} from "../src/Adjudicator.sol";

contract CloseTest is AdjudicatorTest {
    function test_Close_PaysBothAtOnce() public {
        Adjudicator.Params memory p = _params();
        _fund(p);
        uint256 a = alice.balance;
        uint256 b = bob.balance;
        Adjudicator.State memory s = _state(p, 7, 2.5 ether, true);
        (bytes memory sig0, bytes memory sig1) = _sigs(s);

        vm.expectEmit(address(adj));
        emit Concluded(_id(p), 7, 2.5 ether, 0.5 ether);
        vm.prank(mallory); // anyone may submit
        adj.close(p, s, sig0, sig1);

        assertEq(alice.balance - a, 2.5 ether, "alice paid");
        assertEq(bob.balance - b, 0.5 ether, "bob paid");
        assertEq(address(adj).balance, 0, "nothing left");
        Info memory i = _info(p);
        assertTrue(i.concluded, "concluded");
        assertEq(i.held0 + i.held1, 0, "holdings cleared");
    }

    function test_Close_ZeroBalanceSideGetsNothing() public {
        Adjudicator.Params memory p = _params();
        _fund(p);
        uint256 b = bob.balance;
        _close(p, _state(p, 1, F0 + F1, true));
        assertEq(bob.balance, b, "bob gets 0");
        assertEq(address(adj).balance, 0, "all to alice");
    }

    function test_Close_OverDepositIsReturned() public {
        Adjudicator.Params memory p = _params();
        _deposit(p, 0, F0 + 0.3 ether); // alice over-deposits
        _deposit(p, 1, F1);
        uint256 a = alice.balance;
        uint256 b = bob.balance;
        _close(p, _state(p, 3, 0.5 ether, true));
        assertEq(alice.balance - a, 0.5 ether + 0.3 ether, "balance plus the excess");
        assertEq(bob.balance - b, 2.5 ether, "bob's balance");
        assertEq(address(adj).balance, 0, "nothing left");
    }

    function test_Close_Underfunded_RefundsExactlyWhatWasHeld() public {
        Adjudicator.Params memory p = _params();
        _deposit(p, 0, F0);
        uint256 a = alice.balance;
        // even a (mistakenly signed) final state giving bob everything cannot take alice's deposit
        _close(p, _state(p, 4, 0, true));
        assertEq(alice.balance - a, F0, "alice gets her deposit back");
        assertEq(address(adj).balance, 0, "nothing left");
    }

    function test_Close_RevertsWhen_NotFinal() public {
        Adjudicator.Params memory p = _params();
        _fund(p);
        Adjudicator.State memory s = _state(p, 2, F0, false);
        (bytes memory sig0, bytes memory sig1) = _sigs(s);
        vm.expectRevert(_err(Adjudicator.NotFinal.selector));
        adj.close(p, s, sig0, sig1);
    }

    function test_Close_RevertsWhen_AlreadyConcluded() public {
        Adjudicator.Params memory p = _params();
        _fund(p);
        Adjudicator.State memory s = _state(p, 2, F0, true);
        (bytes memory sig0, bytes memory sig1) = _sigs(s);
        adj.close(p, s, sig0, sig1);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.ChannelConcluded.selector, _id(p)));
        adj.close(p, s, sig0, sig1);
    }

    function test_Close_RevertsWhen_StateOfAnotherChannel() public {
        Adjudicator.Params memory p = _params();
        Adjudicator.Params memory other = _params(address(0), 2, F0, F1);
        _fund(p);
        Adjudicator.State memory s = _state(other, 2, F0, true);
        (bytes memory sig0, bytes memory sig1) = _sigs(s);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.WrongChannel.selector, _id(p), _id(other)));
        adj.close(p, s, sig0, sig1);
    }

    function test_Close_RevertsWhen_InvalidParams() public {
        Adjudicator.Params memory p = _params();
        p.challengeDuration = 0;
        Adjudicator.State memory s = _state(p, 2, F0, true);
        (bytes memory sig0, bytes memory sig1) = _sigs(s);
        vm.expectRevert(_err(Adjudicator.InvalidParams.selector));
        adj.close(p, s, sig0, sig1);
    }

    /// A13: balances that do not add up to the funding, or overflow, are rejected before anything.
    function test_Close_RevertsWhen_BalancesDoNotAddUp() public {
        Adjudicator.Params memory p = _params();
        _fund(p);
        Adjudicator.State memory s = _state(p, 2, F0, true);
        uint256[2][5] memory cases = [
            [F0, F1 - 1], // sums to less
            [F0, F1 + 1], // sums to more
            [type(uint256).max, F0 + F1 + 1], // wraps around to the total in uint256
            [F0 + F1 + 1, type(uint256).max], // a "negative" balance1
            [uint256(0), uint256(0)]
        ];
        for (uint256 k = 0; k < cases.length; k++) {
            s.balance0 = cases[k][0];
            s.balance1 = cases[k][1];
            (bytes memory sig0, bytes memory sig1) = _sigs(s); // validly signed, still invalid
            vm.expectRevert(_err(Adjudicator.BalancesMismatch.selector));
            adj.close(p, s, sig0, sig1);
        }
    }

    function test_Close_RevertsWhen_SignatureInvalid() public {
        Adjudicator.Params memory p = _params();
        _fund(p);
        Adjudicator.State memory s = _state(p, 2, F0, true);
        bytes32 digest = adj.hashState(s);
        bytes memory good0 = _sign(PK0, digest);
        bytes memory good1 = _sign(PK1, digest);
        bytes memory bad = _sign(PK_MALLORY, digest);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.InvalidSignature.selector, 0));
        adj.close(p, s, bad, good1);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.InvalidSignature.selector, 1));
        adj.close(p, s, good0, bad);
    }

    function test_Close_RevertsWhen_OlderThanRegistered() public {
        Adjudicator.Params memory p = _params();
        _fund(p);
        _register(p, _state(p, 5, 1.5 ether, false));
        Adjudicator.State memory s = _state(p, 4, F0, true);
        (bytes memory sig0, bytes memory sig1) = _sigs(s);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.StaleVersion.selector, 5, 4));
        adj.close(p, s, sig0, sig1);
    }

    function test_Close_AfterRegistration_WithSameOrHigherVersion() public {
        Adjudicator.Params memory p = _params();
        _fund(p);
        _register(p, _state(p, 5, 1.5 ether, false));
        uint256 a = alice.balance;
        _close(p, _state(p, 5, 2 ether, true));
        assertEq(alice.balance - a, 2 ether, "final state paid");
        Info memory i = _info(p);
        assertTrue(i.concluded && !i.registered, "concluded, dispute cleared");
        assertEq(i.deadline, 0, "dispute word cleared");
    }

    function test_Close_AfterDeadlineButBeforeConclude() public {
        Adjudicator.Params memory p = _params();
        _fund(p);
        _register(p, _state(p, 5, 1.5 ether, false));
        vm.warp(T0 + CHALLENGE + 10);
        uint256 b = bob.balance;
        _close(p, _state(p, 6, 1 ether, true));
        assertEq(bob.balance - b, 2 ether, "final state paid");
    }

    function test_Close_Version0FinalState() public {
        Adjudicator.Params memory p = _params();
        _fund(p);
        _close(p, _state(p, 0, F0, true));
        assertTrue(_info(p).concluded, "concluded");
    }
}

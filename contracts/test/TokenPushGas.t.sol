// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorTest} from "./utils/AdjudicatorTest.sol";
import {vm} from "./utils/Vm.sol";
import {Adjudicator} from "../src/Adjudicator.sol";
import {HookToken, BlacklistToken, BaseMockToken} from "./mocks/MockTokens.sol";
import {GasBurningHook, GasHungryHook} from "./mocks/Receivers.sol";

/// Finding 4 (security review): a token payout is pushed with a bounded gas allowance, so a
/// recipient whose token hook (ERC-777 style, or EIP-7702 code) burns all the gas it gets cannot
/// make every close/conclude caller send millions of gas; its payout is credited and
/// withdrawable, and the other participant is paid.
contract TokenPushGasTest is AdjudicatorTest {
    /// The contract's TOKEN_PAYOUT_GAS, written out (these tests also run against older builds).
    uint256 internal constant STIPEND = 100_000;
    /// What a caller gives the transaction: far more than any honest payout needs.
    uint256 internal constant GENEROUS = 10_000_000;
    /// Upper bound on the gas a close/conclude with one burning recipient may use: the stipend plus
    /// the rest of the call (signatures, storage, the other push, the credit), with margin.
    uint256 internal constant BOUND_ONE_BURNER = STIPEND + 120_000;

    HookToken internal t;
    Adjudicator.Params internal p;

    function setUp() public override {
        super.setUp();
        t = new HookToken();
        t.mint(alice, 10 ether);
        t.mint(bob, 10 ether);
        vm.prank(alice);
        t.approve(address(adj), type(uint256).max);
        vm.prank(bob);
        t.approve(address(adj), type(uint256).max);
        p = _params(address(t));
        _fund(p);
    }

    function _closeData(uint64 version, uint256 b0) internal view returns (bytes memory) {
        Adjudicator.State memory s = _state(p, version, b0, true);
        (bytes memory sig0, bytes memory sig1) = _sigs(s);
        return abi.encodeCall(Adjudicator.close, (p, s, sig0, sig1));
    }

    function _burnerAt(address who) internal {
        vm.etch(who, address(new GasBurningHook()).code);
        t.setHooked(who, true);
    }

    function _callMeasured(bytes memory data) internal returns (bool ok, uint256 used) {
        uint256 g = gasleft();
        (ok,) = address(adj).call{gas: GENEROUS}(data);
        used = g - gasleft();
    }

    function test_TokenPush_HookBurnsAllGas_CloseBoundedOtherPaidBurnerCredited() public {
        _burnerAt(bob);
        (bool ok, uint256 used) = _callMeasured(_closeData(2, 1.2 ether));
        emit log_named_uint("close gas with a burning token hook", used);
        assertTrue(ok, "close succeeded");
        assertLe(used, BOUND_ONE_BURNER, "the burner costs at most its allowance");
        assertEq(t.balanceOf(alice), 10 ether - F0 + 1.2 ether, "alice paid");
        assertEq(adj.credits(bob, address(t)), 1.8 ether, "bob credited");

        // bob's account stops burning (hook unregistered): he withdraws his credit
        t.setHooked(bob, false);
        vm.prank(bob);
        adj.withdraw(address(t));
        assertEq(t.balanceOf(bob), 10 ether - F1 + 1.8 ether, "bob withdrew");
        assertEq(t.balanceOf(address(adj)), 0, "empty");
    }

    function test_TokenPush_HookBurnsAllGas_ConcludeBoundedOtherPaidBurnerCredited() public {
        _register(p, _state(p, 2, 1.2 ether, false));
        vm.warp(T0 + CHALLENGE);
        _burnerAt(alice); // pushed first
        (bool ok, uint256 used) = _callMeasured(abi.encodeCall(Adjudicator.conclude, (p)));
        emit log_named_uint("conclude gas with a burning token hook", used);
        assertTrue(ok, "conclude succeeded");
        assertLe(used, BOUND_ONE_BURNER, "the burner costs at most its allowance");
        assertEq(t.balanceOf(bob), 10 ether - F1 + 1.8 ether, "bob paid");
        assertEq(adj.credits(alice, address(t)), 1.2 ether, "alice credited");

        // alice withdraws to another address while her account still burns gas
        address rescue = makeAddr("rescue");
        vm.prank(alice);
        adj.withdrawTo(address(t), rescue);
        assertEq(t.balanceOf(rescue), 1.2 ether, "withdrawn");
    }

    function test_TokenPush_BothRecipientsBurn_BoundedByTwoAllowances() public {
        _burnerAt(alice);
        _burnerAt(bob);
        (bool ok, uint256 used) = _callMeasured(_closeData(2, 1.2 ether));
        emit log_named_uint("close gas with two burning token hooks", used);
        assertTrue(ok, "close succeeded");
        assertLe(used, 2 * STIPEND + 150_000, "two allowances at most");
        assertEq(adj.credits(alice, address(t)) + adj.credits(bob, address(t)), F0 + F1, "both credited");
    }

    /// `eth_estimateGas`-style: the least gas with which the close succeeds is bounded too.
    function test_TokenPush_HookBurnsAllGas_LeastSufficientGasIsBounded() public {
        _burnerAt(bob);
        bytes memory data = _closeData(2, 1.2 ether);
        uint256 lo = 50_000;
        uint256 hi = 400_000;
        while (hi - lo > 1_000) {
            uint256 mid = (lo + hi) / 2;
            uint256 snap = vm.snapshotState();
            (bool ok,) = address(adj).call{gas: mid}(data);
            vm.revertToState(snap);
            if (ok) hi = mid;
            else lo = mid;
        }
        emit log_named_uint("least gas for the close", hi);
        assertLe(hi, BOUND_ONE_BURNER, "estimate bounded");
    }

    /// A hook that needs less than the allowance is paid normally.
    function test_TokenPush_HookWithinAllowance_IsPaid() public {
        vm.etch(bob, address(new GasHungryHook(60_000)).code);
        t.setHooked(bob, true);
        _close(p, _state(p, 2, 1.2 ether, true));
        assertEq(t.balanceOf(bob), 10 ether - F1 + 1.8 ether, "paid");
        assertEq(adj.credits(bob, address(t)), 0, "no credit");
    }

    /// A hook that needs more than the allowance is credited; withdraw forwards all gas.
    function test_TokenPush_HookNeedingMoreThanAllowance_IsCreditedThenWithdrawn() public {
        vm.etch(bob, address(new GasHungryHook(STIPEND + 50_000)).code);
        t.setHooked(bob, true);
        _close(p, _state(p, 2, 1.2 ether, true));
        assertEq(adj.credits(bob, address(t)), 1.8 ether, "credited");
        vm.prank(bob);
        adj.withdraw(address(t));
        assertEq(t.balanceOf(bob), 10 ether - F1 + 1.8 ether, "withdrawn");
    }

    /// A caller cannot starve a hook that fits the allowance to turn its payout into a credit:
    /// at every gas limit the close either pays the hook or reverts entirely.
    function testFuzz_TokenPush_StarvingAHookWithinAllowance_NeverCredits(uint256 gasLimit) public {
        gasLimit = bound(gasLimit, 60_000, 400_000);
        vm.etch(bob, address(new GasHungryHook(70_000)).code);
        t.setHooked(bob, true);
        (bool ok,) = address(adj).call{gas: gasLimit}(_closeData(2, 1.2 ether));
        if (ok) {
            assertEq(adj.credits(bob, address(t)), 0, "credited a starved recipient");
            assertEq(t.balanceOf(bob), 10 ether - F1 + 1.8 ether, "paid");
        } else {
            assertFalse(_info(p).concluded, "reverted entirely");
        }
    }

    /// A failing token recipient with too little gas around is not credited: InsufficientGas
    /// below the threshold, a credit once there is enough.
    function test_TokenPush_FailureWithTooLittleGas_RevertsInsufficientGas() public {
        BlacklistToken b = new BlacklistToken();
        b.mint(alice, 10 ether);
        b.mint(bob, 10 ether);
        vm.prank(alice);
        b.approve(address(adj), type(uint256).max);
        vm.prank(bob);
        b.approve(address(adj), type(uint256).max);
        Adjudicator.Params memory q = _params(address(b));
        _fund(q);
        b.setBlacklisted(bob, true);
        Adjudicator.State memory s = _state(q, 2, 1.2 ether, true);
        (bytes memory sig0, bytes memory sig1) = _sigs(s);
        bytes memory data = abi.encodeCall(Adjudicator.close, (q, s, sig0, sig1));
        bool sawInsufficientGas;
        uint256 g = 60_000;
        for (; g < 400_000; g += 2_000) {
            (bool ok, bytes memory ret) = address(adj).call{gas: g}(data);
            if (!ok && keccak256(ret) == keccak256(_err(Adjudicator.InsufficientGas.selector))) sawInsufficientGas = true;
            if (ok) break;
        }
        emit log_named_uint("least gas for a close with one failing token push", g);
        assertTrue(sawInsufficientGas, "InsufficientGas seen below the threshold");
        assertEq(adj.credits(bob, address(b)), 1.8 ether, "credited once there was enough gas");
        assertLe(g, 250_000, "no longer needs 300,000 gas left before the push");
    }

    event log_named_uint(string key, uint256 val);
}

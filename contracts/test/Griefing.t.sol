// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorTest} from "./utils/AdjudicatorTest.sol";
import {vm} from "./utils/Vm.sol";
import {Adjudicator} from "../src/Adjudicator.sol";
import {TestToken} from "./mocks/TestToken.sol";
import {FeeOnTransferToken, BonusToken} from "./mocks/MockTokens.sol";

/// A depositor contract without a receive function: refunds to it fail.
contract NonReceivingDepositor {
    function deposit(Adjudicator adj, Adjudicator.Params calldata p, uint256 idx, uint256 expectedHeld, uint256 amount)
        external
        payable
    {
        adj.deposit{value: msg.value}(p, idx, expectedHeld, amount);
    }

    function withdrawTo(Adjudicator adj, address to) external {
        adj.withdrawTo(address(0), to);
    }
}

/// A depositor contract whose receive function calls back into the adjudicator once, while its
/// refund is being paid.
contract ReentrantDepositor {
    address public target;
    bytes public data;
    uint256 public value;
    bool public attempted;
    bool public reentrySucceeded;

    function arm(address target_, bytes calldata data_, uint256 value_) external {
        target = target_;
        data = data_;
        value = value_;
    }

    function deposit(Adjudicator adj, Adjudicator.Params calldata p, uint256 idx, uint256 expectedHeld, uint256 amount)
        external
        payable
    {
        adj.deposit{value: msg.value}(p, idx, expectedHeld, amount);
    }

    receive() external payable {
        if (attempted || target == address(0)) return;
        attempted = true;
        (reentrySucceeded,) = target.call{value: value}(data);
    }
}

/// Finding 3 (security review): anyone may deposit for a participant, so a griefer can land a
/// deposit for the victim right before each of the victim's own. Under the top-up semantics
/// the victim's deposit never reverts: it credits only what is still missing to
/// expectedHeld + amount and refunds the rest, so the channel still gets funded and the victim
/// pays exactly what was missing. Each griefer test fails on the old contract (UnexpectedHeld).
contract GriefingTest is AdjudicatorTest {
    address internal griefer;
    TestToken internal token;

    function setUp() public override {
        super.setUp();
        griefer = makeAddr("griefer");
        vm.deal(griefer, 100 ether);
        token = new TestToken();
        token.mint(alice, 100 ether);
        token.mint(bob, 100 ether);
        token.mint(griefer, 100 ether);
        vm.prank(alice);
        token.approve(address(adj), type(uint256).max);
        vm.prank(bob);
        token.approve(address(adj), type(uint256).max);
        vm.prank(griefer);
        token.approve(address(adj), type(uint256).max);
    }

    function _held(Adjudicator.Params memory p, uint256 idx) internal view returns (uint256) {
        Info memory i = _info(p);
        return idx == 0 ? i.held0 : i.held1;
    }

    function _assetBalance(Adjudicator.Params memory p, address who) internal view returns (uint256) {
        return p.asset == address(0) ? who.balance : token.balanceOf(who);
    }

    /// The griefer deposits `grief` for participant `idx` (naming the holdings correctly).
    function _grief(Adjudicator.Params memory p, uint256 idx, uint256 grief) internal {
        uint256 held = _held(p, idx);
        vm.prank(griefer);
        adj.deposit{value: p.asset == address(0) ? grief : 0}(p, idx, held, grief);
    }

    /// As a front-runner would have it: the victim reads its holdings, the griefer's deposit of
    /// `grief` lands, then the victim's deposit of `amount` with the holdings it read. Returns
    /// what the victim paid (its balance of the asset before minus after; gas is free here).
    function _frontRun(Adjudicator.Params memory p, uint256 idx, uint256 amount, uint256 grief)
        internal
        returns (uint256 paid)
    {
        address victim = idx == 0 ? p.participant0 : p.participant1;
        uint256 seen = _held(p, idx); // the victim reads the chain
        _grief(p, idx, grief); // the griefer's transaction is mined first
        uint256 before = _assetBalance(p, victim);
        vm.prank(victim);
        adj.deposit{value: p.asset == address(0) ? amount : 0}(p, idx, seen, amount); // must not revert
        paid = before - _assetBalance(p, victim);
    }

    // --- 1 wei before every deposit ---

    function _oneWeiBeforeEveryDeposit(address asset) internal {
        Adjudicator.Params memory p = _params(asset);
        // alice funds in one deposit, bob in two steps (as a wallet topping up would)
        uint256 paid0 = _frontRun(p, 0, F0, 1);
        uint256 paid1 = _frontRun(p, 1, F1 / 2, 1);
        paid1 += _frontRun(p, 1, F1 - _held(p, 1), 1); // the rest, as bob reads it
        Info memory i = _info(p);
        assertEq(i.held0, F0, "held0 exactly the funding");
        assertEq(i.held1, F1, "held1 exactly the funding");
        assertEq(paid0, F0 - 1, "alice paid the funding less the griefer's wei");
        assertEq(paid1, F1 - 2, "bob paid the funding less the griefer's two wei");

        // the channel works: close pays the state's balances plus any excess
        uint256 a = _assetBalance(p, alice);
        uint256 b = _assetBalance(p, bob);
        _close(p, _state(p, 3, 1.25 ether, true));
        assertEq(_assetBalance(p, alice) - a, 1.25 ether, "alice's balance");
        assertEq(_assetBalance(p, bob) - b, F0 + F1 - 1.25 ether, "bob's balance");
    }

    function test_Griefing_Eth_OneWeiBeforeEveryDeposit_VictimsStillFund() public {
        _oneWeiBeforeEveryDeposit(address(0));
    }

    function test_Griefing_Token_OneWeiBeforeEveryDeposit_VictimsStillFund() public {
        _oneWeiBeforeEveryDeposit(address(token));
    }

    /// The SDK's funding loop: read held, deposit funding - held with expectedHeld = held; the
    /// griefer lands 1 wei before each attempt. One deposit suffices and costs funding - 1.
    function test_Griefing_Eth_SdkFundingLoop_OneDepositFundsExactly() public {
        Adjudicator.Params memory p = _params();
        uint256 seen = _held(p, 1);
        _grief(p, 1, 1);
        uint256 before = bob.balance;
        vm.expectEmit(address(adj));
        emit Deposited(_id(p), 1, F1);
        vm.prank(bob);
        adj.deposit{value: F1 - seen}(p, 1, seen, F1 - seen);
        assertEq(before - bob.balance, F1 - 1, "charged funding - 1 wei");
        assertEq(_held(p, 1), F1, "exactly funded");
    }

    // --- a large amount before every deposit ---

    function _largeAmountBeforeEveryDeposit(address asset) internal {
        Adjudicator.Params memory p = _params(asset);
        // the griefer deposits more than the whole funding before each victim deposit
        uint256 paid0 = _frontRun(p, 0, F0, F0 + 5);
        uint256 paid1 = _frontRun(p, 1, F1, 3 ether);
        assertEq(paid0, 0, "alice's deposit credited nothing and was refunded (or pulled nothing)");
        assertEq(paid1, 0, "bob's likewise");
        Info memory i = _info(p);
        assertEq(i.held0, F0 + 5, "held0: the griefer's gift");
        assertEq(i.held1, 3 ether, "held1: the griefer's gift");

        // a second round: the victims top up again with a stale read; still no revert, nothing paid
        assertEq(_frontRun(p, 0, 1 ether, 1 ether), 0, "alice again");
        assertEq(_frontRun(p, 1, 1 ether, 1 ether), 0, "bob again");

        // the channel is funded and closes; the excess goes to the participants, not the griefer
        uint256 a = _assetBalance(p, alice);
        uint256 b = _assetBalance(p, bob);
        _close(p, _state(p, 3, 1 ether, true));
        assertEq(_assetBalance(p, alice) - a, 1 ether + (F0 + 5 + 1 ether - F0), "alice: balance + excess");
        assertEq(_assetBalance(p, bob) - b, F0 + F1 - 1 ether + (4 ether - F1), "bob: balance + excess");
    }

    function test_Griefing_Eth_LargeAmountBeforeEveryDeposit_VictimsPayNothingAndStillFund() public {
        _largeAmountBeforeEveryDeposit(address(0));
        assertEq(address(adj).balance, 0, "everything paid out");
    }

    function test_Griefing_Token_LargeAmountBeforeEveryDeposit_VictimsPayNothingAndStillFund() public {
        _largeAmountBeforeEveryDeposit(address(token));
        assertEq(token.balanceOf(address(adj)), 0, "everything paid out");
    }

    /// Any front-run amount before each of several victim deposits: the victim's deposit never
    /// reverts, the holdings reach at least the target, and the victim pays exactly what was
    /// missing to its target (never more than it offered).
    function testFuzz_Griefing_AnyFrontRun_VictimPaysExactlyWhatIsMissing(uint256[4] memory griefs, bool useToken)
        public
    {
        Adjudicator.Params memory p = _params(useToken ? address(token) : address(0));
        uint256 step = F1 / 4;
        for (uint256 k = 0; k < griefs.length; k++) {
            uint256 grief = griefs[k] % 3 == 0 ? 1 : bound(griefs[k], 1, 2 ether);
            uint256 seen = _held(p, 1);
            uint256 target = seen + step;
            uint256 paid = _frontRun(p, 1, step, grief);
            uint256 heldBefore = seen + grief;
            uint256 missing = target > heldBefore ? target - heldBefore : 0;
            assertEq(paid, missing, "paid exactly what was missing");
            assertEq(_held(p, 1), heldBefore + missing, "credited exactly that");
            assertGe(_held(p, 1), target, "target reached");
        }
    }

    // --- gas: what eth_estimateGas finds must also cover the griefed path ---

    /// The least gas with which `data` succeeds when sent by `from` with `value` (what
    /// eth_estimateGas finds), leaving the state as it was.
    function _leastGas(address from, bytes memory data, uint256 value) internal returns (uint256 hi) {
        uint256 lo = 1_000;
        hi = 200_000;
        while (hi - lo > 1) {
            uint256 mid = (lo + hi) / 2;
            uint256 snap = vm.snapshotState();
            vm.prank(from);
            (bool ok,) = address(adj).call{gas: mid, value: value}(data);
            vm.revertToState(snap);
            if (ok) hi = mid;
            else lo = mid;
        }
    }

    /// A wallet estimates its deposit (nothing else deposited yet), signs it with exactly that
    /// gas (ethers and viem add no margin), and a griefer's deposit lands first in the same block:
    /// the deposit now takes the refund path, and must still succeed with the estimated gas.
    function _estimatedThenGriefed(bool peerFirst, uint256 grief) internal {
        Adjudicator.Params memory p = _params();
        if (peerFirst) _deposit(p, 0, F0);
        bytes memory data = abi.encodeCall(Adjudicator.deposit, (p, 1, 0, F1));
        uint256 estimate = _leastGas(bob, data, F1);
        _grief(p, 1, grief);
        uint256 before = bob.balance;
        vm.prank(bob);
        (bool ok,) = address(adj).call{gas: estimate, value: F1}(data);
        emit log_named_uint("estimated gas", estimate);
        assertTrue(ok, "the griefed deposit ran out of the gas its estimate gave it");
        assertEq(before - bob.balance, grief >= F1 ? 0 : F1 - grief, "paid only what was missing");
        assertEq(_held(p, 1), grief >= F1 ? grief : F1, "held1");
    }

    function test_Griefing_Eth_EstimateCoversTheRefund_SecondDepositOneWei() public {
        _estimatedThenGriefed(true, 1);
    }

    function test_Griefing_Eth_EstimateCoversTheRefund_SecondDepositWholeFunding() public {
        _estimatedThenGriefed(true, F1);
    }

    function test_Griefing_Eth_EstimateCoversTheRefund_FirstDepositOneWei() public {
        _estimatedThenGriefed(false, 1);
    }

    event log_named_uint(string key, uint256 val);

    // --- the refund path ---

    /// A depositor that cannot take ETH back (a contract without receive): a griefer's wei does
    /// not make its deposit fail; the refund becomes a credit it can withdraw elsewhere.
    function test_Griefing_DepositorRejectingRefund_StillFunds_RefundCredited() public {
        NonReceivingDepositor d = new NonReceivingDepositor();
        Adjudicator.Params memory p = _params();
        _grief(p, 1, 1);
        vm.expectEmit(address(adj));
        emit PayoutCredited(_id(p), address(d), address(0), 1);
        d.deposit{value: F1}(adj, p, 1, 0, F1);
        assertEq(_held(p, 1), F1, "funded");
        assertEq(adj.credits(address(d), address(0)), 1, "refund credited");
        address rescue = makeAddr("rescue");
        d.withdrawTo(adj, rescue);
        assertEq(rescue.balance, 1, "refund withdrawn");
        assertEq(address(adj).balance, F1, "the contract holds exactly the holdings");
    }

    /// The refund is paid after every effect: a depositor that re-enters the same deposit from
    /// its refund callback (a duplicate) is credited nothing more and refunded again.
    function test_Refund_ReentrantDuplicateFromCallback_NeverCreditsTwice() public {
        ReentrantDepositor d = new ReentrantDepositor();
        vm.deal(address(d), 10 ether);
        Adjudicator.Params memory p = _params();
        _grief(p, 0, 0.5 ether);
        d.arm(address(adj), abi.encodeCall(Adjudicator.deposit, (p, 0, 0, F0)), F0);
        d.deposit{value: F0}(adj, p, 0, 0, F0);
        assertTrue(d.reentrySucceeded(), "the nested deposit ran (and credited nothing)");
        assertEq(_held(p, 0), F0, "held0 at the target, not beyond");
        // it sent F0 (given by this test) and its own F0 in the nested call; both refunds came back
        // except what was missing to the target
        assertEq(address(d).balance, 10 ether + 0.5 ether, "the depositor paid only what was missing");
        assertEq(address(adj).balance, F0, "contract balance equals holdings");
    }

    /// A depositor that closes the channel from its refund callback: the close already sees the
    /// deposit credited (effects before the refund), and pays out exactly the holdings.
    function test_Refund_ReentrantCloseFromCallback_SeesTheCreditedDeposit() public {
        ReentrantDepositor d = new ReentrantDepositor();
        Adjudicator.Params memory p = _params();
        _deposit(p, 0, F0);
        _grief(p, 1, 1);
        Adjudicator.State memory s = _state(p, 2, 2 ether, true);
        (bytes memory sig0, bytes memory sig1) = _sigs(s);
        d.arm(address(adj), abi.encodeCall(Adjudicator.close, (p, s, sig0, sig1)), 0);
        uint256 a = alice.balance;
        uint256 b = bob.balance;
        d.deposit{value: F1}(adj, p, 1, 0, F1);
        assertTrue(d.reentrySucceeded(), "close ran inside the refund");
        assertTrue(_info(p).concluded, "concluded");
        assertEq(alice.balance - a, 2 ether, "alice paid");
        assertEq(bob.balance - b, 1 ether, "bob paid, including the deposit made in the same call");
        assertEq(address(d).balance, 1, "the depositor got its wei back");
        assertEq(address(adj).balance, 0, "nothing left behind");
    }

    // --- duplicated deposit transactions (A12) ---

    /// A fee-on-transfer token: the duplicate pulls only the shortfall that the first deposit's
    /// fee left to the target, never the whole amount again.
    function test_Deposit_FeeOnTransfer_DuplicatedTransaction_PullsOnlyTheShortfall() public {
        FeeOnTransferToken t = new FeeOnTransferToken();
        t.mint(alice, 10 ether);
        vm.prank(alice);
        t.approve(address(adj), type(uint256).max);
        Adjudicator.Params memory p = _params(address(t));
        vm.prank(alice);
        adj.deposit(p, 0, 0, 1 ether); // 0.99 arrives
        vm.prank(alice);
        adj.deposit(p, 0, 0, 1 ether); // the same transaction again: pulls 0.01, 0.0099 arrives
        assertEq(_held(p, 0), 0.9999 ether, "held0 below the target, never above");
        assertEq(t.balanceOf(alice), 10 ether - 1.01 ether, "alice paid 1.01, not 2");
        assertEq(t.balanceOf(address(adj)), 0.9999 ether, "balance matches holdings");
    }

    /// A token that delivers more than it was asked for: the credit stays capped at the target.
    function test_Deposit_TokenDeliveringMore_CreditCappedAtTheTarget() public {
        BonusToken t = new BonusToken();
        t.mint(alice, 10 ether);
        vm.prank(alice);
        t.approve(address(adj), type(uint256).max);
        Adjudicator.Params memory p = _params(address(t));
        vm.prank(alice);
        adj.deposit(p, 0, 0, F0);
        assertEq(_held(p, 0), F0, "credited what was asked, not the bonus");
        assertEq(t.balanceOf(address(adj)), F0 + 7, "the bonus is nobody's holdings");
    }
}

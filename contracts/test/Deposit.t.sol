// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorTest} from "./utils/AdjudicatorTest.sol";
import {vm} from "./utils/Vm.sol";
import {Adjudicator} from "../src/Adjudicator.sol";
import {TestToken} from "./mocks/TestToken.sol";
import {
    NoReturnToken,
    FalseReturnToken,
    FeeOnTransferToken,
    HookToken,
    RevertOnZeroToken
} from "./mocks/MockTokens.sol";
import {ReentrantReceiver} from "./mocks/Receivers.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

contract DepositTest is AdjudicatorTest {
    TestToken internal token;

    function setUp() public override {
        super.setUp();
        token = new TestToken();
        token.mint(alice, 100 ether);
        token.mint(bob, 100 ether);
        vm.prank(alice);
        token.approve(address(adj), type(uint256).max);
        vm.prank(bob);
        token.approve(address(adj), type(uint256).max);
    }

    // --- ETH ---

    function test_Deposit_Eth_CreditsParticipantAndEmits() public {
        Adjudicator.Params memory p = _params();
        vm.expectEmit(address(adj));
        emit Deposited(_id(p), 0, F0);
        vm.prank(alice);
        adj.deposit{value: F0}(p, 0, 0, F0);

        Info memory i = _info(p);
        assertEq(i.held0, F0, "held0");
        assertEq(i.held1, 0, "held1");
        assertFalse(i.registered || i.concluded, "flags");
        assertEq(address(adj).balance, F0, "contract balance");
    }

    function test_Deposit_Eth_BothParticipants() public {
        Adjudicator.Params memory p = _params();
        _fund(p);
        Info memory i = _info(p);
        assertEq(i.held0, F0, "held0");
        assertEq(i.held1, F1, "held1");
        assertEq(address(adj).balance, F0 + F1, "contract balance");
    }

    function test_Deposit_Eth_AnyoneMayDepositForAParticipant() public {
        Adjudicator.Params memory p = _params();
        vm.prank(mallory);
        adj.deposit{value: F1}(p, 1, 0, F1);
        assertEq(_info(p).held1, F1, "held1 credited to bob's side");
    }

    function test_Deposit_Eth_InSteps_WithExpectedHeld() public {
        Adjudicator.Params memory p = _params();
        vm.startPrank(alice);
        adj.deposit{value: 0.4 ether}(p, 0, 0, 0.4 ether);
        vm.expectEmit(address(adj));
        emit Deposited(_id(p), 0, 1 ether);
        adj.deposit{value: 0.6 ether}(p, 0, 0.4 ether, 0.6 ether);
        vm.stopPrank();
        assertEq(_info(p).held0, 1 ether, "held0");
    }

    /// A12: a retried (duplicated) deposit transaction carries the old expectedHeld: it credits
    /// nothing and sends the whole value back, without reverting.
    function test_Deposit_Eth_DuplicatedTransaction_CreditsNothingAndRefunds() public {
        Adjudicator.Params memory p = _params();
        vm.startPrank(alice);
        adj.deposit{value: F0}(p, 0, 0, F0);
        uint256 before = alice.balance;
        vm.expectEmit(address(adj));
        emit Deposited(_id(p), 0, F0); // the unchanged total
        adj.deposit{value: F0}(p, 0, 0, F0); // the same transaction again
        vm.stopPrank();
        assertEq(alice.balance, before, "the whole value came back");
        assertEq(_info(p).held0, F0, "held0 not doubled");
        assertEq(address(adj).balance, F0, "contract balance");
    }

    /// An expectedHeld above what the participant holds only means a higher target: the amount is
    /// credited in full (never more than `amount`).
    function test_Deposit_Eth_ExpectedHeldAboveHoldings_CreditsTheAmount() public {
        Adjudicator.Params memory p = _params();
        vm.prank(alice);
        adj.deposit{value: 0.25 ether}(p, 0, 5 ether, 0.25 ether);
        assertEq(_info(p).held0, 0.25 ether, "held0");
    }

    /// A stale expectedHeld below the holdings credits only up to expectedHeld + amount.
    function test_Deposit_Eth_StaleExpectedHeld_CreditsOnlyUpToTheTarget() public {
        Adjudicator.Params memory p = _params();
        vm.prank(alice);
        adj.deposit{value: 0.4 ether}(p, 0, 0, 0.4 ether);
        uint256 before = alice.balance;
        vm.prank(alice);
        adj.deposit{value: 1 ether}(p, 0, 0.1 ether, 1 ether); // target 1.1: credits 0.7
        assertEq(_info(p).held0, 1.1 ether, "held0 at the target");
        assertEq(before - alice.balance, 0.7 ether, "paid only the credit");
    }

    /// A12: expectedHeld is per participant: the peer's deposit (or its reorg) does not affect ours.
    function test_Deposit_ExpectedHeldIsPerParticipant() public {
        Adjudicator.Params memory p = _params();
        _deposit(p, 1, F1);
        vm.prank(alice);
        adj.deposit{value: F0}(p, 0, 0, F0);
        assertEq(_info(p).held0, F0, "held0");
    }

    function test_Deposit_RevertsWhen_IdxAbove1() public {
        Adjudicator.Params memory p = _params();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.InvalidParticipantIndex.selector, 2));
        adj.deposit{value: F0}(p, 2, 0, F0);
    }

    function test_Deposit_RevertsWhen_AmountZero() public {
        Adjudicator.Params memory p = _params();
        vm.prank(alice);
        vm.expectRevert(_err(Adjudicator.ZeroAmount.selector));
        adj.deposit(p, 0, 0, 0);
    }

    function test_Deposit_RevertsWhen_EthValueDiffersFromAmount() public {
        Adjudicator.Params memory p = _params();
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.WrongMsgValue.selector, F0, F0 - 1));
        adj.deposit{value: F0 - 1}(p, 0, 0, F0);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.WrongMsgValue.selector, F0, F0 + 1));
        adj.deposit{value: F0 + 1}(p, 0, 0, F0);
        vm.stopPrank();
    }

    function test_Deposit_RevertsWhen_EthSentWithTokenDeposit() public {
        Adjudicator.Params memory p = _params(address(token));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.WrongMsgValue.selector, 0, 1));
        adj.deposit{value: 1}(p, 0, 0, F0);
    }

    function test_Deposit_RevertsWhen_ChannelConcluded() public {
        Adjudicator.Params memory p = _params();
        _fund(p);
        _close(p, _state(p, 1, F0, true));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.ChannelConcluded.selector, _id(p)));
        adj.deposit{value: F0}(p, 0, 0, F0); // a late retry with expectedHeld 0 must not re-fund it
    }

    function test_Deposit_RevertsWhen_HoldingsWouldReach2Pow120() public {
        Adjudicator.Params memory p = _params();
        uint256 limit = 2 ** 120;
        vm.deal(alice, limit);
        vm.startPrank(alice);
        adj.deposit{value: limit - 1}(p, 0, 0, limit - 1); // the maximum is fine
        vm.expectRevert(_err(Adjudicator.HoldingsOverflow.selector));
        adj.deposit{value: 1}(p, 0, limit - 1, 1);
        vm.stopPrank();
        // the other participant's field is untouched by the near-full neighbour
        _deposit(p, 1, F1);
        Info memory i = _info(p);
        assertEq(i.held0, limit - 1, "held0");
        assertEq(i.held1, F1, "held1");
    }

    function test_Deposit_Eth_DirectTransferIsRejected() public {
        vm.prank(alice);
        (bool ok,) = address(adj).call{value: 1 ether}("");
        assertFalse(ok, "the adjudicator has no receive function");
    }

    function test_Deposit_DuringDispute_IsAllowed() public {
        Adjudicator.Params memory p = _params();
        _deposit(p, 0, F0);
        _register(p, _state(p, 0, F0, false));
        _deposit(p, 1, F1);
        assertEq(_info(p).held1, F1, "held1");
    }

    // --- params validation (docs/encoding.md "Valid params") ---

    function test_Deposit_RevertsWhen_ParamsInvalid() public {
        Adjudicator.Params memory good = _params();
        Adjudicator.Params[] memory bad = new Adjudicator.Params[](12);
        for (uint256 k = 0; k < bad.length; k++) {
            bad[k] = _params();
        }
        bad[0].participant0 = address(0);
        bad[1].participant1 = address(0);
        bad[2].participant1 = good.participant0;
        bad[3].challengeDuration = 0;
        bad[4].challengeDuration = 365 days + 1;
        bad[5].funding0 = 2 ** 120;
        bad[6].funding1 = 2 ** 120;
        bad[7].funding0 = 0;
        bad[7].funding1 = 0;
        bad[8].funding0 = type(uint256).max;
        bad[9].challengeDuration = type(uint64).max;
        bad[10].challengeDuration = 1;
        bad[11].challengeDuration = 59; // below MIN_CHALLENGE_DURATION
        for (uint256 k = 0; k < bad.length; k++) {
            vm.prank(alice);
            vm.expectRevert(_err(Adjudicator.InvalidParams.selector));
            adj.deposit{value: 1}(bad[k], 0, 0, 1);
        }
    }

    function test_Deposit_AcceptsBoundaryParams() public {
        Adjudicator.Params memory p = _params();
        p.challengeDuration = 365 days;
        p.funding0 = 2 ** 120 - 1;
        p.funding1 = 0;
        _deposit(p, 0, 1);
        p.challengeDuration = 60; // MIN_CHALLENGE_DURATION
        p.funding0 = 0;
        p.funding1 = 1;
        _deposit(p, 1, 1);
    }

    /// A non-canonical ABI encoding (dirty high bits in an address or the uint64) would hash to a
    /// different channel id than the same params encoded properly: rejected.
    function test_Deposit_RevertsWhen_ParamsNotCanonicallyEncoded() public {
        Adjudicator.Params memory p = _params();
        bytes memory good = abi.encodeCall(Adjudicator.deposit, (p, 0, 0, 1));
        for (uint256 word = 0; word < 4; word++) {
            bytes memory data = bytes.concat(good); // copy
            data[4 + word * 32] = 0x01; // highest byte of participant0/participant1/asset/challengeDuration
            vm.prank(alice);
            (bool ok, bytes memory ret) = address(adj).call{value: 1}(data);
            assertFalse(ok, "dirty word accepted");
            assertEq(keccak256(ret), keccak256(_err(Adjudicator.InvalidParams.selector)), "error");
        }
        vm.prank(alice);
        (bool ok2,) = address(adj).call{value: 1}(good);
        assertTrue(ok2, "clean encoding accepted");
    }

    // --- ERC-20 ---

    function test_Deposit_Token_PullsAndCredits() public {
        Adjudicator.Params memory p = _params(address(token));
        vm.expectEmit(address(adj));
        emit Deposited(_id(p), 1, F1);
        vm.prank(bob);
        adj.deposit(p, 1, 0, F1);
        assertEq(_info(p).held1, F1, "held1");
        assertEq(token.balanceOf(address(adj)), F1, "tokens arrived");
        assertEq(token.balanceOf(bob), 100 ether - F1, "tokens left bob");
    }

    function test_Deposit_Token_RevertsWhen_NotApproved() public {
        Adjudicator.Params memory p = _params(address(token));
        vm.prank(alice);
        token.approve(address(adj), 0);
        vm.prank(alice);
        vm.expectRevert();
        adj.deposit(p, 0, 0, F0);
    }

    /// A12: a duplicated token deposit pulls nothing the second time.
    function test_Deposit_Token_DuplicatedTransaction_PullsNothing() public {
        Adjudicator.Params memory p = _params(address(token));
        vm.startPrank(alice);
        adj.deposit(p, 0, 0, F0);
        vm.expectEmit(address(adj));
        emit Deposited(_id(p), 0, F0);
        adj.deposit(p, 0, 0, F0);
        vm.stopPrank();
        assertEq(_info(p).held0, F0, "held0 not doubled");
        assertEq(token.balanceOf(address(adj)), F0, "pulled once");
        assertEq(token.balanceOf(alice), 100 ether - F0, "alice paid once");
    }

    /// A11: no-return `transferFrom` (USDT style) works through SafeERC20.
    function test_Deposit_Token_NoReturnTransferFrom() public {
        NoReturnToken t = new NoReturnToken();
        t.mint(alice, F0);
        vm.prank(alice);
        t.approve(address(adj), F0);
        Adjudicator.Params memory p = _params(address(t));
        _deposit(p, 0, F0);
        assertEq(_info(p).held0, F0, "held0");
    }

    /// A11: a token returning false from transferFrom is a failed deposit, not a credit.
    function test_Deposit_Token_RevertsWhen_TransferFromReturnsFalse() public {
        FalseReturnToken t = new FalseReturnToken();
        t.mint(alice, F0);
        vm.prank(alice);
        t.approve(address(adj), F0);
        t.setBroken(true);
        Adjudicator.Params memory p = _params(address(t));
        vm.prank(alice);
        vm.expectRevert();
        adj.deposit(p, 0, 0, F0);
        assertEq(_info(p).held0, 0, "nothing credited");
    }

    /// A11: fee-on-transfer: only what arrived is credited.
    function test_Deposit_Token_FeeOnTransfer_CreditsWhatArrived() public {
        FeeOnTransferToken t = new FeeOnTransferToken();
        t.mint(alice, 10 ether);
        vm.prank(alice);
        t.approve(address(adj), type(uint256).max);
        Adjudicator.Params memory p = _params(address(t));
        vm.expectEmit(address(adj));
        emit Deposited(_id(p), 0, 0.99 ether);
        vm.prank(alice);
        adj.deposit(p, 0, 0, 1 ether);
        assertEq(_info(p).held0, 0.99 ether, "held0 is net of the fee");
        assertEq(t.balanceOf(address(adj)), 0.99 ether, "balance matches");
    }

    function test_Deposit_Token_RevertsWhen_NothingArrives() public {
        FeeOnTransferToken t = new FeeOnTransferToken();
        t.setFee(10_000); // 100 %
        t.mint(alice, 10 ether);
        vm.prank(alice);
        t.approve(address(adj), type(uint256).max);
        Adjudicator.Params memory p = _params(address(t));
        vm.prank(alice);
        vm.expectRevert(_err(Adjudicator.ZeroAmount.selector));
        adj.deposit(p, 0, 0, 1 ether);
    }

    function test_Deposit_Token_RevertOnZeroToken_NormalDeposit() public {
        RevertOnZeroToken t = new RevertOnZeroToken();
        t.mint(alice, F0);
        vm.prank(alice);
        t.approve(address(adj), F0);
        Adjudicator.Params memory p = _params(address(t));
        _deposit(p, 0, F0);
        assertEq(_info(p).held0, F0, "held0");
    }

    /// A15: tokens sent straight to the contract are not anyone's holdings.
    function test_Deposit_Token_DirectTransferDoesNotChangeAccounting() public {
        Adjudicator.Params memory p = _params(address(token));
        _deposit(p, 0, F0);
        vm.prank(bob);
        token.transfer(address(adj), 5 ether);
        Info memory i = _info(p);
        assertEq(i.held0, F0, "held0");
        assertEq(i.held1, 0, "held1");
        // and a token deposit after it still credits only its own amount
        _deposit(p, 1, F1);
        assertEq(_info(p).held1, F1, "held1");
    }

    /// A10: an ERC777-style sender hook re-entering deposit during transferFrom is blocked.
    function test_Deposit_Token_ReentrantSenderHookIsBlocked() public {
        HookToken t = new HookToken();
        Adjudicator.Params memory p = _params(address(t));
        // alice's address gets the re-entrant hook code (an EIP-7702-style smart account)
        vm.etch(alice, address(new ReentrantReceiver()).code);
        t.setHooked(alice, true);
        t.mint(alice, 10 ether);
        vm.prank(alice);
        t.approve(address(adj), type(uint256).max);
        ReentrantReceiver(payable(alice)).arm(address(adj), abi.encodeCall(Adjudicator.deposit, (p, 0, 0, F0)), false);
        vm.prank(alice);
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        adj.deposit(p, 0, 0, F0);
        assertEq(_info(p).held0, 0, "nothing credited");
    }
}

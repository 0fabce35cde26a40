// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorTest} from "./utils/AdjudicatorTest.sol";
import {vm} from "./utils/Vm.sol";
import {Adjudicator} from "../src/Adjudicator.sol";
import {AdjudicatorHandler} from "./handlers/AdjudicatorHandler.sol";

/// A16: invariants under random sequences of deposits, registrations, refutes, closes,
/// concludes, withdrawals and time jumps (see AdjudicatorHandler).
contract InvariantTest is AdjudicatorTest {
    AdjudicatorHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new AdjudicatorHandler(adj);
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](7);
        selectors[0] = AdjudicatorHandler.deposit.selector;
        selectors[1] = AdjudicatorHandler.register.selector;
        selectors[2] = AdjudicatorHandler.close.selector;
        selectors[3] = AdjudicatorHandler.conclude.selector;
        selectors[4] = AdjudicatorHandler.withdraw.selector;
        selectors[5] = AdjudicatorHandler.warp.selector;
        selectors[6] = AdjudicatorHandler.reopen.selector;
        targetSelector(FuzzSelector(address(handler), selectors));
    }

    event log_named_uint(string key, uint256 val);

    /// Shows with -vv how many actions of each kind succeeded (that the run explored something).
    function afterInvariant() public {
        emit log_named_uint("deposits ok", handler.successes(AdjudicatorHandler.deposit.selector));
        emit log_named_uint("registers ok", handler.successes(AdjudicatorHandler.register.selector));
        emit log_named_uint("closes ok", handler.successes(AdjudicatorHandler.close.selector));
        emit log_named_uint("concludes ok", handler.successes(AdjudicatorHandler.conclude.selector));
        emit log_named_uint("withdrawals ok", handler.successes(AdjudicatorHandler.withdraw.selector));
        emit log_named_uint("channels", handler.idCount());
    }

    /// Every action behaved as the rules say; versions only grew; deadlines never moved.
    function invariant_RulesHold() public view {
        assertEq(handler.violations(), 0, handler.lastViolation());
    }

    /// Per channel: paid out (pushed or credited) never exceeds what was deposited, and a
    /// concluded channel paid out exactly its deposits.
    function invariant_PaidOutAtMostDeposited() public view {
        for (uint256 k = 0; k < handler.idCount(); k++) {
            bytes32 id = handler.ids(k);
            uint256 dep = handler.deposited(id);
            uint256 paid = handler.paidOut(id);
            assertLe(paid, dep, "paid out more than deposited");
            Info memory i = _infoOf(id);
            if (i.concluded) assertEq(paid, dep, "concluded channel kept money");
            else assertEq(i.held0 + i.held1, dep, "holdings equal deposits until conclusion");
        }
    }

    /// The contract holds exactly the open channels' holdings plus the outstanding credits.
    function invariant_Solvency() public view {
        uint256 held;
        for (uint256 k = 0; k < handler.idCount(); k++) {
            Info memory i = _infoOf(handler.ids(k));
            held += i.held0 + i.held1;
        }
        assertEq(address(adj).balance, held + handler.creditsOutstanding(), "balance == holdings + credits");
    }
}

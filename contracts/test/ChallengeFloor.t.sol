// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorTest} from "./utils/AdjudicatorTest.sol";
import {vm} from "./utils/Vm.sol";
import {Adjudicator} from "../src/Adjudicator.sol";

/// The challenge duration has a floor of 60 seconds (MIN_CHALLENGE_DURATION): with 1 second an
/// opener could register a stale state and conclude before any watcher reacts.
contract ChallengeFloorTest is AdjudicatorTest {
    /// The contract's MIN_CHALLENGE_DURATION, written out (these tests also run against older builds).
    uint64 internal constant FLOOR = 60;

    function _withDuration(uint64 duration) internal view returns (Adjudicator.Params memory p) {
        p = _params();
        p.challengeDuration = duration;
    }

    function test_ChallengeFloor_BelowTheFloor_EveryEntryPointRejects() public {
        uint64[3] memory durations = [uint64(1), 30, FLOOR - 1];
        for (uint256 k = 0; k < durations.length; k++) {
            Adjudicator.Params memory p = _withDuration(durations[k]);
            vm.prank(alice);
            vm.expectRevert(_err(Adjudicator.InvalidParams.selector));
            adj.deposit{value: F0}(p, 0, 0, F0);

            Adjudicator.State memory s = _state(p, 1, F0, false);
            (bytes memory sig0, bytes memory sig1) = _sigs(s);
            vm.expectRevert(_err(Adjudicator.InvalidParams.selector));
            adj.register(p, s, sig0, sig1);

            s = _state(p, 1, F0, true);
            (sig0, sig1) = _sigs(s);
            vm.expectRevert(_err(Adjudicator.InvalidParams.selector));
            adj.close(p, s, sig0, sig1);

            vm.expectRevert(_err(Adjudicator.InvalidParams.selector));
            adj.conclude(p);
        }
    }

    /// The attack the floor stops: a 1-second channel let the opener register a stale state and
    /// conclude one block later. At the floor the watcher has 60 seconds to refute.
    function test_ChallengeFloor_AtTheFloor_WatcherHasSixtySecondsToRefute() public {
        Adjudicator.Params memory p = _withDuration(FLOOR);
        _fund(p);
        _register(p, _state(p, 1, F0 + F1, false)); // stale: everything to the opener
        assertEq(_info(p).deadline, T0 + FLOOR, "deadline one minute out");

        vm.warp(T0 + FLOOR - 1);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.ChallengeNotExpired.selector, T0 + FLOOR));
        adj.conclude(p);
        _register(p, _state(p, 7, 0.5 ether, false)); // the watcher refutes in time

        vm.warp(T0 + FLOOR);
        uint256 b = bob.balance;
        adj.conclude(p);
        assertEq(bob.balance - b, F0 + F1 - 0.5 ether, "the latest state paid");
    }
}

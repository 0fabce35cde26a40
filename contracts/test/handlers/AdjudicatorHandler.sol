// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {vm} from "../utils/Vm.sol";
import {Adjudicator} from "../../src/Adjudicator.sol";
import {RevertingReceiver} from "../mocks/Receivers.sol";

/// @notice Drives random deposits, registrations, refutes, closes, concludes, withdrawals and
/// time jumps on three channel slots (ETH), checking every outcome against the rules and
/// keeping ghost totals for the invariants. One participant of slot 2 rejects ETH, so credits
/// and withdrawals are exercised too. A concluded slot can be reopened with a new nonce.
/// Every call to the adjudicator is wrapped in try/catch: whether it may succeed is decided
/// here, and a mismatch is recorded as a violation.
contract AdjudicatorHandler {
    uint256 internal constant SLOTS = 3;
    uint64 internal constant CHALLENGE = 1 hours;

    Adjudicator public immutable adj;
    address public immutable rescue = address(0xE5C);
    address public immutable griefer = address(0x6121EF);

    uint256[SLOTS] internal key0;
    uint256[SLOTS] internal key1;
    Adjudicator.Params[SLOTS] internal current;

    // ghosts per channel id
    bytes32[] public ids;
    mapping(bytes32 => uint256) public deposited;
    mapping(bytes32 => uint256) public paidOut;
    mapping(bytes32 => uint64) public lastVersion;
    mapping(bytes32 => uint256) public firstDeadline;
    mapping(bytes32 => Adjudicator.Params) internal paramsOf;

    uint256 public violations;
    string public lastViolation;
    mapping(bytes4 => uint256) public calls;
    mapping(bytes4 => uint256) public successes;

    constructor(Adjudicator adj_) {
        adj = adj_;
        uint256[3] memory f0 = [uint256(1 ether), 0.5 ether, 3 ether];
        uint256[3] memory f1 = [uint256(2 ether), 0, 1 ether];
        for (uint256 i = 0; i < SLOTS; i++) {
            key0[i] = 0x1000 + i;
            key1[i] = 0x2000 + i;
            current[i] = Adjudicator.Params(vm.addr(key0[i]), vm.addr(key1[i]), address(0), CHALLENGE, 1, f0[i], f1[i]);
            _track(current[i]);
        }
        vm.etch(current[2].participant1, address(new RevertingReceiver()).code);
    }

    // --- actions ---

    /// A deposit that names what the participant held when its sender looked. One time in four
    /// a griefer (or the peer) deposits for the same participant first, so the sender's
    /// expectedHeld is stale by that much; one time in eight the sender claims more than is held.
    /// The deposit must never revert on an open channel, must credit exactly
    /// min(amount, expectedHeld + amount - held) and refund the rest to its sender.
    function deposit(uint256 slot, uint256 idxSeed, uint256 amount, uint256 griefSeed) external {
        calls[this.deposit.selector]++;
        slot %= SLOTS;
        // usually move on to a fresh channel when this one is over; sometimes try the old one
        if (amount % 4 != 0) _reopenIfConcluded(slot);
        Adjudicator.Params memory p = current[slot];
        bytes32 id = adj.channelId(p);
        uint256 idx = idxSeed % 2;
        amount = 1 + amount % 3 ether;
        (uint256 h0, uint256 h1,, bool concluded,,,) = adj.getChannel(id);
        uint256 expected = idx == 0 ? h0 : h1; // what the sender read
        if (griefSeed % 8 == 1) expected += 1 + griefSeed % 1 ether; // a claim above the holdings
        if (griefSeed % 4 == 0 && !concluded) _grief(p, id, idx, griefSeed);
        (h0, h1,,,,,) = adj.getChannel(id);
        uint256 held = idx == 0 ? h0 : h1;
        uint256 target = expected + amount;
        uint256 credit = target > held ? target - held : 0;
        if (credit > amount) credit = amount;

        address payer = address(uint160(0xD000 + idx));
        vm.deal(payer, amount);
        vm.prank(payer);
        try adj.deposit{value: amount}(p, idx, expected, amount) {
            if (concluded) _violation("deposit accepted into a concluded channel");
            successes[this.deposit.selector]++;
            deposited[id] += credit;
            (h0, h1,,,,,) = adj.getChannel(id);
            if ((idx == 0 ? h0 : h1) != held + credit) _violation("deposit credited other than the top-up");
            if (payer.balance != amount - credit) _violation("deposit refunded other than the excess");
        } catch {
            if (!concluded) _violation("deposit into an open channel rejected");
        }
        _checkDispute(id);
    }

    /// A griefer deposits for participant `idx` right before its sender's deposit lands: 1 wei
    /// half the time, otherwise up to 2 ether.
    function _grief(Adjudicator.Params memory p, bytes32 id, uint256 idx, uint256 seed) internal {
        uint256 amount = seed % 16 < 8 ? 1 : 1 + seed % 2 ether;
        (uint256 h0, uint256 h1,,,,,) = adj.getChannel(id);
        vm.deal(griefer, amount);
        vm.prank(griefer);
        try adj.deposit{value: amount}(p, idx, idx == 0 ? h0 : h1, amount) {
            deposited[id] += amount;
        } catch {
            _violation("griefer's deposit rejected");
        }
    }

    /// Registers (or refutes with) a fully signed state. Each (slot, version) has one set of
    /// balances, like honest signers; `equivocate` signs different balances for the same version.
    function register(uint256 slot, uint256 versionSeed, bool isFinal, bool equivocate) external {
        calls[this.register.selector]++;
        slot %= SLOTS;
        Adjudicator.Params memory p = current[slot];
        bytes32 id = adj.channelId(p);
        uint64 version = uint64(versionSeed % 16);
        isFinal = isFinal && versionSeed % 64 < 16; // a final state one time in eight
        equivocate = equivocate && versionSeed % 128 < 32; // a conflicting state one time in eight
        Adjudicator.State memory s = _state(p, id, version, isFinal, equivocate);
        (bytes memory sig0, bytes memory sig1) = _sigs(slot, s);
        (,, bool registered, bool concluded, uint64 regVersion, uint256 deadline, uint256 regBalance0) =
            adj.getChannel(id);

        bool shouldSucceed;
        if (concluded) shouldSucceed = false;
        else if (isFinal) shouldSucceed = !registered || version >= regVersion;
        else if (!registered) shouldSucceed = true;
        else if (version < regVersion) shouldSucceed = false;
        else if (version == regVersion) shouldSucceed = s.balance0 == regBalance0;
        else shouldSucceed = block.timestamp < deadline;

        uint256 before = _wealth(p);
        try adj.register(p, s, sig0, sig1) {
            if (!shouldSucceed) _violation("register accepted against the rules");
            successes[this.register.selector]++;
        } catch {
            if (shouldSucceed) _violation("register rejected against the rules");
        }
        paidOut[id] += _wealth(p) - before;
        _checkDispute(id);
    }

    /// Closes only one call in four, so that channels live long enough for disputes.
    function close(uint256 slot, uint256 versionSeed) external {
        calls[this.close.selector]++;
        if (versionSeed % 64 >= 16) return;
        slot %= SLOTS;
        Adjudicator.Params memory p = current[slot];
        bytes32 id = adj.channelId(p);
        Adjudicator.State memory s = _state(p, id, uint64(versionSeed % 16), true, false);
        (bytes memory sig0, bytes memory sig1) = _sigs(slot, s);
        (,, bool registered, bool concluded, uint64 regVersion,,) = adj.getChannel(id);
        bool shouldSucceed = !concluded && (!registered || s.version >= regVersion);
        uint256 before = _wealth(p);
        try adj.close(p, s, sig0, sig1) {
            if (!shouldSucceed) _violation("close accepted against the rules");
            successes[this.close.selector]++;
        } catch {
            if (shouldSucceed) _violation("close rejected against the rules");
        }
        paidOut[id] += _wealth(p) - before;
        _checkDispute(id);
    }

    function conclude(uint256 slot) external {
        calls[this.conclude.selector]++;
        Adjudicator.Params memory p = current[slot % SLOTS];
        bytes32 id = adj.channelId(p);
        (,, bool registered, bool concluded,, uint256 deadline,) = adj.getChannel(id);
        bool shouldSucceed = registered && !concluded && block.timestamp >= deadline;
        uint256 before = _wealth(p);
        try adj.conclude(p) {
            if (!shouldSucceed) _violation("conclude accepted against the rules");
            successes[this.conclude.selector]++;
        } catch {
            if (shouldSucceed) _violation("conclude rejected against the rules");
        }
        paidOut[id] += _wealth(p) - before;
        _checkDispute(id);
    }

    /// The ETH-rejecting participant of slot 2 moves its credit to `rescue`.
    function withdraw() external {
        calls[this.withdraw.selector]++;
        address victim = current[2].participant1;
        uint256 credit = adj.credits(victim, address(0));
        vm.prank(victim);
        try adj.withdrawTo(address(0), rescue) {
            if (credit == 0) _violation("withdraw without credit");
            successes[this.withdraw.selector]++;
            if (adj.credits(victim, address(0)) != 0) _violation("credit not cleared");
        } catch {
            if (credit != 0) _violation("withdraw of a credit failed");
        }
    }

    function warp(uint256 seconds_) external {
        calls[this.warp.selector]++;
        vm.warp(block.timestamp + seconds_ % (CHALLENGE * 2));
    }

    function reopen(uint256 slot) external {
        calls[this.reopen.selector]++;
        _reopenIfConcluded(slot % SLOTS);
    }

    function _reopenIfConcluded(uint256 slot) internal {
        (,,, bool concluded,,,) = adj.getChannel(adj.channelId(current[slot]));
        if (!concluded) return;
        current[slot].nonce++;
        _track(current[slot]);
    }

    // --- helpers ---

    function idCount() external view returns (uint256) {
        return ids.length;
    }

    function _track(Adjudicator.Params memory p) internal {
        bytes32 id = adj.channelId(p);
        ids.push(id);
        paramsOf[id] = p;
    }

    /// @dev What a channel's participants own outside the channel: ETH plus credits. Only
    /// settlement calls raise it, by exactly what the adjudicator paid (or credited) them.
    function _wealth(Adjudicator.Params memory p) internal view returns (uint256) {
        return p.participant0.balance + p.participant1.balance + adj.credits(p.participant0, address(0))
            + adj.credits(p.participant1, address(0));
    }

    /// @dev Credits the adjudicator still owes to any participant of any slot.
    function creditsOutstanding() external view returns (uint256 sum) {
        for (uint256 i = 0; i < SLOTS; i++) {
            sum += adj.credits(current[i].participant0, address(0)) + adj.credits(current[i].participant1, address(0));
        }
    }
    function _state(Adjudicator.Params memory p, bytes32 id, uint64 version, bool isFinal, bool equivocate)
        internal
        pure
        returns (Adjudicator.State memory s)
    {
        uint256 total = p.funding0 + p.funding1;
        uint256 b0 = uint256(keccak256(abi.encode(id, version, equivocate))) % (total + 1);
        s = Adjudicator.State(id, version, b0, total - b0, isFinal);
    }

    function _sigs(uint256 slot, Adjudicator.State memory s) internal view returns (bytes memory, bytes memory) {
        bytes32 digest = adj.hashState(s);
        (uint8 v0, bytes32 r0, bytes32 s0) = vm.sign(key0[slot], digest);
        (uint8 v1, bytes32 r1, bytes32 s1) = vm.sign(key1[slot], digest);
        return (abi.encodePacked(r0, s0, v0), abi.encodePacked(r1, s1, v1));
    }

    /// @dev The registered version only grows and the deadline, once set, never moves.
    function _checkDispute(bytes32 id) internal {
        (,, bool registered, bool concluded, uint64 version, uint256 deadline,) = adj.getChannel(id);
        if (concluded || !registered) return;
        if (version < lastVersion[id]) _violation("registered version decreased");
        lastVersion[id] = version;
        if (firstDeadline[id] == 0) firstDeadline[id] = deadline;
        else if (deadline != firstDeadline[id]) _violation("deadline moved");
    }

    function _violation(string memory what) internal {
        violations++;
        lastViolation = what;
    }
}

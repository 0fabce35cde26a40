// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title StateChannels adjudicator
/// @notice Holds the deposits of two-party payment channels (ETH or one ERC-20 token per channel)
/// and pays them out according to the latest state signed by both participants: at once for a
/// final state (cooperative close), or after a challenge period during which a registered state
/// can only be replaced by a strictly higher version (dispute).
/// @dev Hashing and signing follow docs/encoding.md bit for bit; the C# SDK implements the same.
/// Per channel the contract keeps two storage words (see `Channel`); gas is a product feature.
contract Adjudicator is EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    // ---------------------------------------------------------------------------------------------
    // Types (docs/encoding.md)
    // ---------------------------------------------------------------------------------------------

    /// @notice Channel parameters, fixed at open. `asset == address(0)` means ETH.
    struct Params {
        address participant0;
        address participant1;
        address asset;
        uint64 challengeDuration;
        uint256 nonce;
        uint256 funding0;
        uint256 funding1;
    }

    /// @notice A channel state as signed (EIP-712) by both participants.
    struct State {
        bytes32 channelId;
        uint64 version;
        uint256 balance0;
        uint256 balance1;
        bool isFinal;
    }

    // ---------------------------------------------------------------------------------------------
    // Constants and storage
    // ---------------------------------------------------------------------------------------------

    /// @notice EIP-712 type hash of `State`: keccak256("State(bytes32 channelId,uint64 version,
    /// uint256 balance0,uint256 balance1,bool isFinal)") (written out for inline assembly; a test
    /// recomputes it).
    bytes32 public constant STATE_TYPEHASH = 0xf091a4b70d992717a4fed438c9005c69b1cb226fecc05f0ff80e5ab16179971b;

    /// @notice Shortest allowed challenge duration (60 seconds): a backstop that keeps an opener
    /// from registering and concluding before any watcher can react. The SDK's options enforce a
    /// longer, chain-dependent minimum on top of it.
    uint64 public constant MIN_CHALLENGE_DURATION = 60;

    /// @notice Longest allowed challenge duration (365 days).
    uint64 public constant MAX_CHALLENGE_DURATION = 365 days;

    /// @notice Exclusive upper bound of each funding and of each participant's holdings.
    uint256 public constant AMOUNT_LIMIT = 2 ** 120;

    /// @notice Gas forwarded with a pushed ETH payout. Enough for smart-contract wallets; a
    /// recipient that needs more (or reverts) is credited instead and can `withdraw`.
    uint256 public constant PAYOUT_GAS = 50_000;

    /// @dev A failed push is credited only if at least this much gas was left before it, so the
    /// recipient certainly got its full allowance: EIP-150 passes on at most 63/64 of what is
    /// left after the call's own cost (at most 36,600: cold access, value transfer, new account).
    /// Otherwise a caller could starve a recipient on purpose to turn its payout into a credit.
    uint256 private constant _ETH_FAILURE_GAS = PAYOUT_GAS + PAYOUT_GAS / 63 + 40_000;

    /// @notice Gas forwarded with a pushed token payout (the token's `transfer`, including any
    /// hook it calls on the recipient). A standard ERC-20 transfer needs about 30,000, USDC- or
    /// USDT-style tokens 40,000-60,000, ERC-777-style tokens with registry lookups and hooks less
    /// than 100,000. A transfer that needs more, reverts or returns false is credited instead and
    /// can be `withdraw`n (with all the gas the withdrawer gives it).
    uint256 public constant TOKEN_PAYOUT_GAS = 100_000;

    /// @dev The same for a token push: the call costs at most 2,600 (cold token, no value) plus a
    /// few words of memory and the opcodes between `gasleft()` and CALL; 5,000 covers them. With
    /// this much left the token certainly got its full TOKEN_PAYOUT_GAS (all but 1/64 rule).
    uint256 private constant _TOKEN_FAILURE_GAS = TOKEN_PAYOUT_GAS + TOKEN_PAYOUT_GAS / 63 + 5_000;

    /// @dev Gas an ETH deposit must have left after its effects: the refund's value call needs
    /// 9,100 up front (value transfer to an existing, warm account; its 2,300 stipend comes back
    /// only afterwards) plus the last opcodes; the rest gives a smart account's receive function a
    /// few thousand gas on top of the stipend.
    uint256 private constant _REFUND_GAS = 12_000;

    // Per channel two storage words, packed by hand (gas is a product feature):
    //   funds:   held0 (bits 0-119) | held1 (bits 120-239) | REGISTERED (bit 240) | CONCLUDED (bit 241)
    //   dispute: version (bits 0-63) | deadline (bits 64-103) | balance0 (bits 104-231)
    // held_i is what participant i deposited and has not been paid out. REGISTERED says the
    // dispute word is in use (close must then check the registered version); CONCLUDED is
    // terminal. The dispute's deadline is fixed by the first registration and never moved;
    // balance1 is implied: funding0 + funding1 - balance0. Amounts are < 2^121, so 128 bits hold
    // balance0 and 120 bits hold each holding (deposits are capped below 2^120).
    struct Channel {
        uint256 funds;
        uint256 dispute;
    }

    uint256 private constant _HELD_BITS = 120;
    uint256 private constant _HELD_MASK = (1 << 120) - 1;
    uint256 private constant _REGISTERED = 1 << 240;
    uint256 private constant _CONCLUDED = 1 << 241;
    uint256 private constant _DEADLINE_SHIFT = 64;
    uint256 private constant _BALANCE0_SHIFT = 104;

    mapping(bytes32 channelId => Channel) private _channels;

    /// @notice Amounts owed to an account after a pushed payout to it failed, per asset.
    mapping(address account => mapping(address asset => uint256)) public credits;

    // ---------------------------------------------------------------------------------------------
    // Events (indexed by channelId: the C# watcher filters on it)
    // ---------------------------------------------------------------------------------------------

    /// @notice A deposit for participant `idx` succeeded; `idx` now holds `held` in total (the
    /// amount credited is the increase, possibly 0 for a top-up that found the target already
    /// reached; a total makes replayed events idempotent to apply).
    event Deposited(bytes32 indexed channelId, uint256 idx, uint256 held);

    /// @notice First registration of a dispute; `deadline` is final.
    event Registered(bytes32 indexed channelId, uint64 version, uint256 balance0, uint256 balance1, uint256 deadline);

    /// @notice A strictly higher version replaced the registered state; the deadline is unchanged.
    event Refuted(bytes32 indexed channelId, uint64 version, uint256 balance0, uint256 balance1, uint256 deadline);

    /// @notice The channel was paid out according to `version` (cooperative close or conclude).
    event Concluded(bytes32 indexed channelId, uint64 version, uint256 payout0, uint256 payout1);

    /// @notice A pushed payout failed; `recipient` can `withdraw` `amount` of `asset`.
    event PayoutCredited(bytes32 indexed channelId, address indexed recipient, address indexed asset, uint256 amount);

    /// @notice `account` withdrew its credit of `asset` to `to`.
    event Withdrawn(address indexed account, address indexed asset, address to, uint256 amount);

    // ---------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------

    /// @notice Params break a rule of docs/encoding.md (participants, duration or funding).
    error InvalidParams();
    /// @notice Participant index other than 0 or 1.
    error InvalidParticipantIndex(uint256 idx);
    /// @notice Deposit of zero, or a token transfer that delivered nothing.
    error ZeroAmount();
    /// @notice The channel has already been paid out.
    error ChannelConcluded(bytes32 channelId);
    /// @notice msg.value must equal `amount` for ETH and be zero for a token.
    error WrongMsgValue(uint256 expected, uint256 actual);
    /// @notice A participant's holdings would reach 2^120.
    error HoldingsOverflow();
    /// @notice The state's channelId is not the id of the given params on this chain and contract.
    error WrongChannel(bytes32 expected, bytes32 actual);
    /// @notice balance0 + balance1 != funding0 + funding1.
    error BalancesMismatch();
    /// @notice close needs a state with isFinal set.
    error NotFinal();
    /// @notice sig0 (idx 0) or sig1 (idx 1) is malformed or not by that participant.
    error InvalidSignature(uint256 idx);
    /// @notice The state is older than the registered one.
    error StaleVersion(uint64 registered, uint64 given);
    /// @notice A different state with the registered version.
    error ConflictingState(uint64 version);
    /// @notice The challenge period is over: the registered state can no longer be refuted.
    error ChallengeExpired(uint256 deadline);
    /// @notice conclude before the deadline.
    error ChallengeNotExpired(uint256 deadline);
    /// @notice conclude without a registered dispute.
    error NotRegistered();
    /// @notice No credit to withdraw.
    error NothingToWithdraw();
    /// @notice Sending the withdrawn ETH failed.
    error WithdrawFailed();
    /// @notice Withdrawal to the zero address.
    error ZeroRecipient();
    /// @notice Too little gas: a payout failed with too little to tell a failing recipient from
    /// a starved one, or an ETH deposit lacks the reserve its refund may need; resend the
    /// transaction with more gas (eth_estimateGas finds enough).
    error InsufficientGas();

    constructor() EIP712("StateChannels", "1") {}

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @notice The id of the channel with params `p` at this contract on this chain:
    /// keccak256(abi.encode(block.chainid, address(this), p)). Does not validate `p`.
    /// @dev Written the plain way, as the reference for the hand-optimised `_channelId`.
    /// @param p Channel params.
    /// @return The channel id.
    function channelId(Params calldata p) external view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), p));
    }

    /// @notice The EIP-712 digest of `s` under this contract's domain; what both participants sign.
    /// @param s The state.
    /// @return The digest keccak256(0x1901 || domainSeparator || hashStruct(s)).
    /// @dev Written the plain way, as the reference for the hand-optimised `_hashState`.
    function hashState(State calldata s) external view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(STATE_TYPEHASH, s.channelId, s.version, s.balance0, s.balance1, s.isFinal))
        );
    }

    /// @notice The EIP-712 domain separator (name "StateChannels", version "1").
    /// @return The domain separator for this chain and contract.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @notice Everything the watcher needs to know about a channel, in one call.
    /// @dev After conclusion only `concluded` is meaningful (everything else reads as zero); the
    /// Concluded event carries the version and the payouts.
    /// @param id The channel id.
    /// @return held0 What participant 0 holds in the channel.
    /// @return held1 What participant 1 holds in the channel.
    /// @return registered Whether a dispute is registered.
    /// @return concluded Whether the channel was paid out.
    /// @return version The registered version (0 if none).
    /// @return deadline The challenge deadline (unix seconds; 0 if none).
    /// @return balance0 Participant 0's balance in the registered state (balance1 = total - balance0).
    function getChannel(bytes32 id)
        external
        view
        returns (
            uint256 held0,
            uint256 held1,
            bool registered,
            bool concluded,
            uint64 version,
            uint256 deadline,
            uint256 balance0
        )
    {
        Channel storage ch = _channels[id];
        uint256 funds = ch.funds;
        (version, deadline, balance0) = _unpackDispute(ch.dispute);
        return (
            funds & _HELD_MASK,
            (funds >> _HELD_BITS) & _HELD_MASK,
            funds & _REGISTERED != 0,
            funds & _CONCLUDED != 0,
            version,
            deadline,
            balance0
        );
    }

    // ---------------------------------------------------------------------------------------------
    // Funding
    // ---------------------------------------------------------------------------------------------

    /// @notice Top up participant `idx` of the channel `p` to `expectedHeld + amount`: credits
    /// min(amount, expectedHeld + amount - held), where `held` is what `idx` holds when the
    /// transaction runs, and nothing if it already holds that much. `expectedHeld` is what the
    /// caller saw the participant hold, so a deposit that anyone else slipped in first (a
    /// front-runner's 1 wei, or the whole funding) reduces this one instead of making it revert,
    /// and a duplicated or retried transaction never deposits twice. Anyone may deposit for a
    /// participant. ETH: `msg.value == amount`; what is not credited goes straight back to
    /// `msg.sender` (a refund that fails is credited to `msg.sender` for `withdraw`). A token:
    /// approve this contract first; only what is needed is pulled, and what actually arrives is
    /// credited (fee-on-transfer tokens credit less).
    /// @dev Reverts with InvalidParams, InvalidParticipantIndex, ZeroAmount, WrongMsgValue,
    /// ChannelConcluded, HoldingsOverflow, InsufficientGas (ETH: less than _REFUND_GAS left after
    /// the effects), or the token's own error. An ETH deposit needs no
    /// reentrancy lock: its only external call is the refund, made after all its effects, so a
    /// re-entrant call from there sees the same state as a later transaction would (and re-entering
    /// from a payout cannot touch the concluding channel: that one is already CONCLUDED).
    /// @param p Channel params (validated).
    /// @param idx 0 or 1.
    /// @param expectedHeld What participant `idx` held when the caller looked (its target is
    /// `expectedHeld + amount`).
    /// @param amount The most to credit; for ETH it must equal msg.value.
    function deposit(Params calldata p, uint256 idx, uint256 expectedHeld, uint256 amount) external payable {
        bytes32 id = _validChannelId(p);
        if (idx > 1) revert InvalidParticipantIndex(idx);
        if (amount == 0) revert ZeroAmount();
        (,, address asset) = _addresses(p);
        if (asset == address(0)) {
            if (msg.value != amount) revert WrongMsgValue(amount, msg.value);
            Channel storage ch = _channels[id];
            uint256 funds = ch.funds;
            if (funds & _CONCLUDED != 0) revert ChannelConcluded(id);
            uint256 shift = idx * _HELD_BITS;
            uint256 held = (funds >> shift) & _HELD_MASK;
            uint256 credit = _topUp(held, expectedHeld, amount);
            if (credit >= AMOUNT_LIMIT - held) revert HoldingsOverflow();
            // held + credit < 2^120: the addition stays inside participant idx's field. A credit
            // of 0 rewrites the same word and emits the unchanged total: cheaper for the common
            // case than a branch around it.
            ch.funds = funds + (credit << shift);
            emit Deposited(id, idx, held + credit);
            // Every ETH deposit keeps enough gas for the refund path, even when it does not take it:
            // eth_estimateGas then covers a refund that a deposit landing first (a front-runner's
            // 1 wei) makes necessary, instead of the refund running out of gas in the mined block.
            if (gasleft() < _REFUND_GAS) revert InsufficientGas();
            // Effects done: the refund (the caller's own excess) is the last thing this call does.
            if (credit != amount) _refund(id, amount - credit);
        } else {
            if (msg.value != 0) revert WrongMsgValue(0, msg.value);
            _depositToken(id, IERC20(asset), idx, expectedHeld, amount);
        }
    }

    /// @dev How much a deposit of `amount` by a caller who saw `expectedHeld` may credit when the
    /// participant holds `held`: min(amount, expectedHeld + amount - held), or 0 if that is not
    /// positive. Computed without forming expectedHeld + amount, which may overflow.
    function _topUp(uint256 held, uint256 expectedHeld, uint256 amount) private pure returns (uint256 credit) {
        assembly ("memory-safe") {
            // what others deposited since the caller looked (0 if held <= expectedHeld)
            let since := mul(gt(held, expectedHeld), sub(held, expectedHeld))
            credit := mul(gt(amount, since), sub(amount, since))
        }
    }

    /// @dev Sends back the part of msg.value that was not credited. The caller's own address gets
    /// all the gas and no return data is copied. If it cannot take the ETH (a contract without a
    /// receive function), the refund is credited to it instead, so that nobody else's deposit can
    /// make this one fail.
    function _refund(bytes32 id, uint256 amount) private {
        bool ok;
        assembly ("memory-safe") {
            ok := call(gas(), caller(), amount, 0, 0, 0, 0)
        }
        if (!ok) {
            credits[msg.sender][address(0)] += amount;
            emit PayoutCredited(id, msg.sender, address(0), amount);
        }
    }

    /// @dev Pulls only what the top-up still needs, under the lock, and credits what arrived (at
    /// most what was needed: a token that delivers more leaves the extra as nobody's holdings).
    /// Nothing else can change this channel's word during the pull: every other entry point that
    /// touches a token channel holds the same lock.
    function _depositToken(bytes32 id, IERC20 token, uint256 idx, uint256 expectedHeld, uint256 amount)
        private
        nonReentrant
    {
        Channel storage ch = _channels[id];
        uint256 funds = ch.funds;
        if (funds & _CONCLUDED != 0) revert ChannelConcluded(id);
        uint256 shift = idx * _HELD_BITS;
        uint256 held = (funds >> shift) & _HELD_MASK;
        uint256 need = _topUp(held, expectedHeld, amount);
        if (need == 0) {
            // already holds the target: nothing to pull (a transfer of 0 reverts on some tokens)
            emit Deposited(id, idx, held);
            return;
        }
        if (need >= AMOUNT_LIMIT - held) revert HoldingsOverflow();
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), need);
        uint256 afterwards = token.balanceOf(address(this));
        if (afterwards <= before) revert ZeroAmount();
        uint256 credit = afterwards - before;
        if (credit > need) credit = need;
        ch.funds = funds + (credit << shift);
        emit Deposited(id, idx, held + credit);
    }

    // ---------------------------------------------------------------------------------------------
    // Settlement
    // ---------------------------------------------------------------------------------------------

    /// @notice Cooperative close: pays both participants at once according to a final state
    /// signed by both. Anyone may submit it.
    /// @dev Reverts with InvalidParams, WrongChannel, BalancesMismatch, NotFinal, ChannelConcluded,
    /// StaleVersion (older than a registered state) or InvalidSignature.
    /// @param p Channel params.
    /// @param s The final state (isFinal == true).
    /// @param sig0 Participant 0's EIP-712 signature of `s` (65 bytes r || s || v).
    /// @param sig1 Participant 1's signature.
    function close(Params calldata p, State calldata s, bytes calldata sig0, bytes calldata sig1)
        external
        nonReentrant
    {
        if (!s.isFinal) revert NotFinal();
        bytes32 id = _validState(p, s);
        Channel storage ch = _channels[id];
        uint256 funds = ch.funds;
        if (funds & _CONCLUDED != 0) revert ChannelConcluded(id);
        _verifySignatures(p, s, sig0, sig1);
        _closeFinal(id, p, s, ch, funds);
    }

    /// @notice Dispute: register the latest state signed by both. The first registration fixes the
    /// deadline at block.timestamp + challengeDuration; until then a strictly higher version
    /// replaces it (refute) without moving the deadline. Registering the registered state again
    /// (validly signed) is a no-op, even after the deadline, so two honest submissions of the
    /// same state never revert. A final state concludes the channel at once, like `close`.
    /// @dev Reverts with InvalidParams, WrongChannel, BalancesMismatch, ChannelConcluded,
    /// InvalidSignature, StaleVersion (lower version), ConflictingState (same version, other
    /// balances) or ChallengeExpired (higher version after the deadline).
    /// @param p Channel params.
    /// @param s The state.
    /// @param sig0 Participant 0's EIP-712 signature of `s`.
    /// @param sig1 Participant 1's signature.
    function register(Params calldata p, State calldata s, bytes calldata sig0, bytes calldata sig1)
        external
        nonReentrant
    {
        bytes32 id = _validState(p, s);
        Channel storage ch = _channels[id];
        uint256 funds = ch.funds;
        if (funds & _CONCLUDED != 0) revert ChannelConcluded(id);
        _verifySignatures(p, s, sig0, sig1);

        uint64 version = s.version;
        uint256 balance0 = s.balance0;
        if (s.isFinal) {
            _closeFinal(id, p, s, ch, funds);
        } else if (funds & _REGISTERED == 0) {
            uint256 deadline = block.timestamp + p.challengeDuration;
            ch.dispute = _packDispute(version, deadline, balance0);
            ch.funds = funds | _REGISTERED;
            emit Registered(id, version, balance0, s.balance1, deadline);
        } else {
            (uint64 registered, uint256 deadline, uint256 registeredBalance0) = _unpackDispute(ch.dispute);
            if (version <= registered) {
                if (version < registered) revert StaleVersion(registered, version);
                if (balance0 != registeredBalance0) revert ConflictingState(version);
                return; // the registered state itself: nothing changes
            }
            // forge-lint: disable-next-line(block-timestamp)
            if (block.timestamp >= deadline) revert ChallengeExpired(deadline);
            ch.dispute = _packDispute(version, deadline, balance0);
            emit Refuted(id, version, balance0, s.balance1, deadline);
        }
    }

    /// @notice After the deadline, pay out the registered state. Anyone may call it.
    /// @dev Reverts with InvalidParams, ChannelConcluded, NotRegistered or ChallengeNotExpired.
    /// @param p Channel params.
    function conclude(Params calldata p) external nonReentrant {
        bytes32 id = _validChannelId(p);
        Channel storage ch = _channels[id];
        uint256 funds = ch.funds;
        if (funds & _CONCLUDED != 0) revert ChannelConcluded(id);
        if (funds & _REGISTERED == 0) revert NotRegistered();
        (uint64 version, uint256 deadline, uint256 balance0) = _unpackDispute(ch.dispute);
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < deadline) revert ChallengeNotExpired(deadline);
        _payout(id, p, ch, funds, version, balance0);
    }

    /// @notice Withdraw the caller's credit of `asset` (left by a failed payout) to the caller.
    /// @dev Reverts with NothingToWithdraw, WithdrawFailed (ETH) or the token's error.
    /// @param asset address(0) for ETH, otherwise the token.
    function withdraw(address asset) external nonReentrant {
        _withdraw(asset, msg.sender);
    }

    /// @notice Withdraw the caller's credit of `asset` to another address (e.g. when the caller
    /// itself cannot receive: a blacklisted token holder, a contract without a receive function).
    /// @dev Reverts with ZeroRecipient, NothingToWithdraw, WithdrawFailed or the token's error.
    /// @param asset address(0) for ETH, otherwise the token.
    /// @param to Recipient.
    function withdrawTo(address asset, address to) external nonReentrant {
        if (to == address(0)) revert ZeroRecipient();
        _withdraw(asset, to);
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev keccak256(abi.encode(block.chainid, address(this), p)): the seven static words of `p`
    /// are hashed straight from calldata.
    function _channelId(Params calldata p) private view returns (bytes32 id) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, chainid())
            mstore(add(ptr, 0x20), address())
            calldatacopy(add(ptr, 0x40), p, 0xe0)
            id := keccak256(ptr, 0x120)
        }
    }

    /// @dev Validates `p` (docs/encoding.md "Valid params") and returns its channel id. Also
    /// rejects a non-canonical encoding (dirty high bits in an address or the uint64), so the raw
    /// calldata that `_channelId` hashes is exactly abi.encode(p). Branch-free to save gas; the
    /// same rules in Solidity:
    ///   p0 != 0 && p1 != 0 && p0 != p1
    ///   && MIN_CHALLENGE_DURATION <= challengeDuration <= MAX_CHALLENGE_DURATION
    ///   && funding0 < 2^120 && funding1 < 2^120 && funding0 + funding1 > 0
    function _validChannelId(Params calldata p) private view returns (bytes32) {
        bool bad;
        assembly ("memory-safe") {
            let p0 := calldataload(p)
            let p1 := calldataload(add(p, 0x20))
            let asset := calldataload(add(p, 0x40))
            let duration := calldataload(add(p, 0x60)) // a dirty uint64 exceeds the maximum too
            let funding := or(calldataload(add(p, 0xa0)), calldataload(add(p, 0xc0)))
            bad :=
                or(
                    or(gt(or(or(p0, p1), asset), 0xffffffffffffffffffffffffffffffffffffffff), eq(p0, p1)),
                    or(or(iszero(p0), iszero(p1)), or(lt(duration, 60), gt(duration, 31536000)))
                )
            // both fundings < 2^120 (so their sum is < 2^121) and not both zero
            bad := or(bad, or(gt(funding, 0xffffffffffffffffffffffffffffff), iszero(funding)))
        }
        if (bad) revert InvalidParams();
        return _channelId(p);
    }

    /// @dev Validates `p`, that `s` belongs to it and that its balances add up to the funding.
    function _validState(Params calldata p, State calldata s) private view returns (bytes32 id) {
        id = _validChannelId(p);
        if (s.channelId != id) revert WrongChannel(id, s.channelId);
        uint256 total = p.funding0 + p.funding1; // < 2^121: no overflow
        uint256 balance0 = s.balance0;
        if (balance0 > total || s.balance1 != total - balance0) revert BalancesMismatch();
    }

    /// @dev EIP-712 digest of `s`. hashStruct(s) = keccak256(abi.encode(STATE_TYPEHASH, s)), taking
    /// the five static words of `s` straight from calldata. Dirty high bits in `version` or
    /// `isFinal` would change the hash (so no participant signature matches), and every caller
    /// also reads both fields through the ABI decoder, which reverts on them.
    function _hashState(State calldata s) private view returns (bytes32) {
        bytes32 structHash;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, STATE_TYPEHASH)
            calldatacopy(add(ptr, 0x20), s, 0xa0)
            structHash := keccak256(ptr, 0xc0)
        }
        return _hashTypedDataV4(structHash);
    }

    /// @dev sig0 must recover to participant0 and sig1 to participant1. Only 65-byte low-s
    /// signatures with v in {27, 28} recover (ECDSA.tryRecover); a failed recovery gives
    /// address(0), which is never a participant (params validation).
    function _verifySignatures(Params calldata p, State calldata s, bytes calldata sig0, bytes calldata sig1)
        private
        view
    {
        bytes32 digest = _hashState(s);
        (address p0, address p1,) = _addresses(p);
        if (_recover(digest, sig0) != p0) revert InvalidSignature(0);
        if (_recover(digest, sig1) != p1) revert InvalidSignature(1);
    }

    function _recover(bytes32 digest, bytes calldata sig) private pure returns (address signer) {
        if (sig.length != 65) return address(0);
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := calldataload(sig.offset)
            s := calldataload(add(sig.offset, 0x20))
            v := byte(0, calldataload(add(sig.offset, 0x40)))
        }
        (signer,,) = ECDSA.tryRecover(digest, v, r, s);
    }

    /// @dev Pays out a final state; it must not be older than a registered one.
    function _closeFinal(bytes32 id, Params calldata p, State calldata s, Channel storage ch, uint256 funds)
        private
    {
        uint64 version = s.version;
        if (funds & _REGISTERED != 0) {
            (uint64 registered,,) = _unpackDispute(ch.dispute);
            if (version < registered) revert StaleVersion(registered, version);
        }
        _payout(id, p, ch, funds, version, s.balance0);
    }

    /// @dev Marks the channel concluded, then pushes both payouts. Fully funded (each holds at
    /// least its funding): balance_i plus whatever i deposited beyond its funding. Otherwise each
    /// gets back exactly what it holds. Either way payout0 + payout1 == held0 + held1.
    function _payout(bytes32 id, Params calldata p, Channel storage ch, uint256 funds, uint64 version, uint256 balance0)
        private
    {
        uint256 f0 = p.funding0;
        uint256 f1 = p.funding1;
        uint256 payout0 = funds & _HELD_MASK;
        uint256 payout1 = (funds >> _HELD_BITS) & _HELD_MASK;
        if (payout0 >= f0 && payout1 >= f1) {
            // balance0 <= f0 + f1 (checked when the state was accepted); all values < 2^121.
            unchecked {
                payout0 = balance0 + (payout0 - f0);
                payout1 = (f0 + f1 - balance0) + (payout1 - f1);
            }
        }

        // Effects first: terminal flag, holdings gone, dispute word cleared (a gas refund).
        ch.funds = _CONCLUDED;
        if (funds & _REGISTERED != 0) ch.dispute = 0;
        emit Concluded(id, version, payout0, payout1);

        (address p0, address p1, address asset) = _addresses(p);
        if (asset == address(0)) {
            _pushEth(id, p0, payout0);
            _pushEth(id, p1, payout1);
        } else {
            _pushToken(id, p0, asset, payout0);
            _pushToken(id, p1, asset, payout1);
        }
    }

    /// @dev Sends `amount` of ETH to `to`; if that fails, credits it for `withdraw`. The call gets
    /// a fixed gas allowance (PAYOUT_GAS) and copies no return data, so a recipient that reverts,
    /// burns gas or returns a huge blob cannot block the other participant's payout or make the
    /// caller pay more than the allowance. A failure counts only when the recipient got its full
    /// allowance (see _ETH_FAILURE_GAS); with less, the whole transaction reverts with
    /// InsufficientGas and can be resent with more gas.
    function _pushEth(bytes32 id, address to, uint256 amount) private {
        if (amount == 0) return;
        uint256 gasBefore = gasleft();
        bool ok;
        assembly ("memory-safe") {
            ok := call(PAYOUT_GAS, to, amount, 0, 0, 0, 0)
        }
        if (!ok) _creditFailedPush(id, to, address(0), amount, gasBefore < _ETH_FAILURE_GAS);
    }

    /// @dev The same for a token: `transfer` gets TOKEN_PAYOUT_GAS (which bounds what a hook on the
    /// recipient can burn) and copies at most one word of return data (see _tryTransfer).
    function _pushToken(bytes32 id, address to, address token, uint256 amount) private {
        if (amount == 0) return;
        uint256 gasBefore = gasleft();
        if (!_tryTransfer(token, to, amount)) {
            _creditFailedPush(id, to, token, amount, gasBefore < _TOKEN_FAILURE_GAS);
        }
    }

    /// @dev A failed push becomes a credit, unless the recipient may have been starved of its
    /// allowance (`starved`): then the transaction reverts, so a caller cannot turn a payout into
    /// a credit on purpose by sending too little gas.
    function _creditFailedPush(bytes32 id, address to, address asset, uint256 amount, bool starved) private {
        if (starved) revert InsufficientGas();
        credits[to][asset] += amount;
        emit PayoutCredited(id, to, asset, amount);
    }

    /// @dev `token.transfer(to, amount)` with TOKEN_PAYOUT_GAS, judged as SafeERC20 does: the call
    /// succeeded and returned either a 32-byte word equal to 1 (true) or nothing at all from an
    /// address with code (USDT style). At most one word of return data is copied.
    function _tryTransfer(address token, address to, uint256 amount) private returns (bool ok) {
        assembly ("memory-safe") {
            let ptr := mload(0x40) // scratch beyond the free memory pointer, not kept
            mstore(ptr, 0xa9059cbb00000000000000000000000000000000000000000000000000000000) // transfer(address,uint256)
            mstore(add(ptr, 0x04), to)
            mstore(add(ptr, 0x24), amount)
            ok := call(TOKEN_PAYOUT_GAS, token, 0, ptr, 0x44, 0, 0x20)
            if ok {
                let size := returndatasize()
                // size >= 32: the first word was copied to 0 in full
                ok := or(and(gt(size, 0x1f), eq(mload(0), 1)), and(iszero(size), gt(extcodesize(token), 0)))
            }
        }
    }

    function _withdraw(address asset, address to) private {
        uint256 amount = credits[msg.sender][asset];
        if (amount == 0) revert NothingToWithdraw();
        credits[msg.sender][asset] = 0;
        emit Withdrawn(msg.sender, asset, to, amount);
        if (asset == address(0)) {
            bool ok;
            assembly ("memory-safe") {
                ok := call(gas(), to, amount, 0, 0, 0, 0)
            }
            if (!ok) revert WithdrawFailed();
        } else {
            IERC20(asset).safeTransfer(to, amount);
        }
    }

    /// @dev p's addresses, read without the ABI decoder's checks: only for params that passed
    /// `_validChannelId` (canonically encoded).
    function _addresses(Params calldata p) private pure returns (address p0, address p1, address asset) {
        assembly ("memory-safe") {
            p0 := calldataload(p)
            p1 := calldataload(add(p, 0x20))
            asset := calldataload(add(p, 0x40))
        }
    }

    function _packDispute(uint64 version, uint256 deadline, uint256 balance0) private pure returns (uint256) {
        // deadline < 2^40 until the year 36812; balance0 <= funding0 + funding1 < 2^121
        return uint256(version) | (deadline << _DEADLINE_SHIFT) | (balance0 << _BALANCE0_SHIFT);
    }

    function _unpackDispute(uint256 word) private pure returns (uint64 version, uint256 deadline, uint256 balance0) {
        // casting to 'uint64'/'uint40' is safe because it extracts exactly the packed fields
        // forge-lint: disable-next-line(unsafe-typecast)
        version = uint64(word);
        // forge-lint: disable-next-line(unsafe-typecast)
        deadline = uint40(word >> _DEADLINE_SHIFT);
        balance0 = word >> _BALANCE0_SHIFT;
    }
}

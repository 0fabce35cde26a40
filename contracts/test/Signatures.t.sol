// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorTest} from "./utils/AdjudicatorTest.sol";
import {vm} from "./utils/Vm.sol";
import {Adjudicator} from "../src/Adjudicator.sol";

/// A4-A7: replay, malleability, malformed and misattributed signatures.
contract SignaturesTest is AdjudicatorTest {
    Adjudicator.Params internal p;
    Adjudicator.State internal s;
    bytes32 internal digest;

    function setUp() public override {
        super.setUp();
        p = _params();
        _fund(p);
        s = _state(p, 3, 1.5 ether, false);
        digest = adj.hashState(s);
    }

    function _expectInvalid(uint256 idx, bytes memory sig0, bytes memory sig1) internal {
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.InvalidSignature.selector, idx));
        adj.register(p, s, sig0, sig1);
    }

    function test_Signatures_ValidPairIsAccepted() public {
        adj.register(p, s, _sign(PK0, digest), _sign(PK1, digest));
        assertTrue(_info(p).registered, "registered");
    }

    // --- A4 replay ---

    /// Into a second channel of the same pair (new nonce): the state names the first channel.
    function test_Attack_Replay_IntoAnotherChannelOfTheSamePair() public {
        Adjudicator.Params memory q = _params(address(0), 2, F0, F1);
        _fund(q);
        bytes memory sig0 = _sign(PK0, digest);
        bytes memory sig1 = _sign(PK1, digest);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.WrongChannel.selector, _id(q), _id(p)));
        adj.register(q, s, sig0, sig1);
        // relabelling the state with the new channel's id breaks the signatures
        Adjudicator.State memory relabelled = s;
        relabelled.channelId = _id(q);
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.InvalidSignature.selector, 0));
        adj.register(q, relabelled, sig0, sig1);
    }

    /// Onto another deployment of the adjudicator.
    function test_Attack_Replay_OntoAnotherDeployment() public {
        Adjudicator other = new Adjudicator();
        bytes memory sig0 = _sign(PK0, digest);
        bytes memory sig1 = _sign(PK1, digest);
        bytes32 otherId = other.channelId(p);
        assertTrue(otherId != _id(p), "ids differ per deployment");
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.WrongChannel.selector, otherId, _id(p)));
        other.register(p, s, sig0, sig1);
        Adjudicator.State memory relabelled = s;
        relabelled.channelId = otherId;
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.InvalidSignature.selector, 0));
        other.register(p, relabelled, sig0, sig1); // the EIP-712 domain names the first deployment
    }

    /// Onto another chain (same contract address, e.g. after a fork).
    function test_Attack_Replay_OntoAnotherChainId() public {
        bytes memory sig0 = _sign(PK0, digest);
        bytes memory sig1 = _sign(PK1, digest);
        bytes32 separatorBefore = adj.domainSeparator();
        vm.chainId(block.chainid + 1);
        assertTrue(adj.domainSeparator() != separatorBefore, "domain follows the chain id");
        bytes32 forkId = _id(p);
        assertTrue(forkId != s.channelId, "ids differ per chain");
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.WrongChannel.selector, forkId, s.channelId));
        adj.register(p, s, sig0, sig1);
        Adjudicator.State memory relabelled = s;
        relabelled.channelId = forkId;
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.InvalidSignature.selector, 0));
        adj.register(p, relabelled, sig0, sig1);
    }

    // --- A5 cross-message-type replay ---

    /// A transport-handshake signature (another EIP-712 type and domain, docs/encoding.md) is
    /// never a state signature; neither is a raw signature of the struct hash or an eth_sign one.
    function test_Attack_CrossTypeReplay_HandshakeAndRawSignaturesRejected() public {
        bytes32 handshakeDomain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("StateChannels.Handshake"),
                keccak256("1"),
                block.chainid,
                address(adj)
            )
        );
        bytes32 structHash = keccak256(abi.encode(adj.STATE_TYPEHASH(), s.channelId, s.version, s.balance0, s.balance1, s.isFinal));
        bytes32 handshake = keccak256(
            abi.encodePacked(
                hex"1901",
                handshakeDomain,
                keccak256(abi.encode(keccak256("Handshake(bytes32 challenge,address peer)"), structHash, bob))
            )
        );
        _expectInvalid(0, _sign(PK0, handshake), _sign(PK1, handshake));
        _expectInvalid(0, _sign(PK0, structHash), _sign(PK1, structHash));
        bytes32 ethSigned = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", digest));
        _expectInvalid(0, _sign(PK0, ethSigned), _sign(PK1, ethSigned));
    }

    // --- A6 malformed signatures ---

    function test_Attack_HighS_Rejected() public {
        (uint8 v, bytes32 r, bytes32 sl) = vm.sign(PK0, digest);
        bytes memory highS = abi.encodePacked(r, bytes32(N - uint256(sl)), v == 27 ? uint8(28) : uint8(27));
        _expectInvalid(0, highS, _sign(PK1, digest));
        (v, r, sl) = vm.sign(PK1, digest);
        highS = abi.encodePacked(r, bytes32(N - uint256(sl)), v == 27 ? uint8(28) : uint8(27));
        _expectInvalid(1, _sign(PK0, digest), highS);
    }

    function test_Attack_VNot27Or28_Rejected() public {
        (uint8 v, bytes32 r, bytes32 sl) = vm.sign(PK0, digest);
        uint8[5] memory vs = [v - 27, 29, 0, 1, 255]; // v - 27 is the 0/1 form of the same signature
        for (uint256 k = 0; k < vs.length; k++) {
            _expectInvalid(0, abi.encodePacked(r, sl, vs[k]), _sign(PK1, digest));
        }
    }

    function test_Attack_WrongLengths_Rejected() public {
        (uint8 v, bytes32 r, bytes32 sl) = vm.sign(PK0, digest);
        bytes32 vs = bytes32(uint256(sl) | (uint256(v - 27) << 255)); // EIP-2098 compact form
        bytes memory good1 = _sign(PK1, digest);
        _expectInvalid(0, abi.encodePacked(r, vs), good1); // 64 bytes
        _expectInvalid(0, abi.encodePacked(r, sl, v, uint8(0)), good1); // 66 bytes
        _expectInvalid(0, "", good1);
        _expectInvalid(0, abi.encodePacked(r, sl), good1);
        _expectInvalid(1, _sign(PK0, digest), abi.encodePacked(good1, uint8(0)));
    }

    function test_Attack_ZeroAddressRecovery_Rejected() public {
        bytes memory good1 = _sign(PK1, digest);
        // r = 0 and r not on the curve: ecrecover returns address(0)
        _expectInvalid(0, abi.encodePacked(bytes32(0), bytes32(uint256(1)), uint8(27)), good1);
        _expectInvalid(0, abi.encodePacked(bytes32(uint256(5)), bytes32(uint256(1)), uint8(27)), good1);
        _expectInvalid(0, abi.encodePacked(bytes32(0), bytes32(0), uint8(28)), good1);
    }

    /// A signature that recovers to address(0) must never stand for a participant: params with a
    /// zero participant are refused before any signature is looked at (the other test's channel
    /// has non-zero participants, so it passes even when that check is gone).
    function test_Attack_ZeroAddressRecovery_NeverStandsForAZeroParticipant() public {
        Adjudicator.Params memory q = Adjudicator.Params(alice, address(0), address(0), CHALLENGE, 7, F0, F1);
        Adjudicator.State memory t = _state(q, 3, F0 + F1, false);
        bytes memory zero = abi.encodePacked(bytes32(0), bytes32(uint256(1)), uint8(27));
        bytes memory sig = _sign(PK0, adj.hashState(t));
        vm.expectRevert(Adjudicator.InvalidParams.selector);
        adj.register(q, t, sig, zero);
        q = Adjudicator.Params(address(0), bob, address(0), CHALLENGE, 7, F0, F1);
        t = _state(q, 3, 0, false);
        sig = _sign(PK1, adj.hashState(t));
        vm.expectRevert(Adjudicator.InvalidParams.selector);
        adj.register(q, t, zero, sig);
    }

    // --- A7 misattributed signatures ---

    function test_Attack_NonParticipantSignature_Rejected() public {
        bytes memory m = _sign(PK_MALLORY, digest);
        _expectInvalid(0, m, _sign(PK1, digest));
        _expectInvalid(1, _sign(PK0, digest), m);
        _expectInvalid(0, m, m);
    }

    function test_Attack_SameParticipantSignatureTwice_Rejected() public {
        bytes memory a = _sign(PK0, digest);
        bytes memory b = _sign(PK1, digest);
        _expectInvalid(1, a, a);
        _expectInvalid(0, b, b);
    }

    function test_Attack_SwappedSignatures_Rejected() public {
        _expectInvalid(0, _sign(PK1, digest), _sign(PK0, digest));
    }

    function test_Attack_SignatureOfAnotherState_Rejected() public {
        Adjudicator.State memory other = _state(p, 4, 1.5 ether, false);
        bytes32 otherDigest = adj.hashState(other);
        _expectInvalid(0, _sign(PK0, otherDigest), _sign(PK1, otherDigest));
        _expectInvalid(1, _sign(PK0, digest), _sign(PK1, otherDigest));
        // flipping isFinal changes the digest too: a dispute state is not a close state
        Adjudicator.State memory fin = s;
        fin.isFinal = true;
        vm.expectRevert(abi.encodeWithSelector(Adjudicator.InvalidSignature.selector, 0));
        adj.close(p, fin, _sign(PK0, digest), _sign(PK1, digest));
    }
}

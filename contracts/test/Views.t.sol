// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorTest} from "./utils/AdjudicatorTest.sol";
import {vm} from "./utils/Vm.sol";
import {Adjudicator} from "../src/Adjudicator.sol";

/// The hashing spec of docs/encoding.md, written out independently of the contract.
contract ViewsTest is AdjudicatorTest {
    function test_StateTypehash_MatchesTypeString() public view {
        assertEq(
            adj.STATE_TYPEHASH(),
            keccak256("State(bytes32 channelId,uint64 version,uint256 balance0,uint256 balance1,bool isFinal)"),
            "typehash"
        );
    }

    function test_DomainSeparator_MatchesSpec() public view {
        bytes32 expected = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("StateChannels"),
                keccak256("1"),
                block.chainid,
                address(adj)
            )
        );
        assertEq(adj.domainSeparator(), expected, "domain separator");
        (, string memory name, string memory version, uint256 chainId, address verifying,,) = adj.eip712Domain();
        assertEq(keccak256(bytes(name)), keccak256("StateChannels"), "name");
        assertEq(keccak256(bytes(version)), keccak256("1"), "version");
        assertEq(chainId, block.chainid, "chain id");
        assertEq(verifying, address(adj), "verifying contract");
    }

    function test_ChannelId_IsHashOfNineWords() public view {
        Adjudicator.Params memory p = _params();
        bytes32 expected = keccak256(
            abi.encodePacked(
                block.chainid,
                uint256(uint160(address(adj))),
                uint256(uint160(p.participant0)),
                uint256(uint160(p.participant1)),
                uint256(uint160(p.asset)),
                uint256(p.challengeDuration),
                p.nonce,
                p.funding0,
                p.funding1
            )
        );
        assertEq(adj.channelId(p), expected, "channel id");
    }

    function test_HashState_IsEip712Digest() public view {
        Adjudicator.Params memory p = _params();
        Adjudicator.State memory s = _state(p, 42, 0.25 ether, true);
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("State(bytes32 channelId,uint64 version,uint256 balance0,uint256 balance1,bool isFinal)"),
                s.channelId,
                uint256(s.version),
                s.balance0,
                s.balance1,
                uint256(1)
            )
        );
        bytes32 expected = keccak256(abi.encodePacked(hex"1901", adj.domainSeparator(), structHash));
        assertEq(adj.hashState(s), expected, "digest");
    }

    function test_GetChannel_UnknownChannelIsEmpty() public view {
        Info memory i = _infoOf(keccak256("nothing"));
        assertEq(i.held0 + i.held1 + i.version + i.deadline + i.balance0, 0, "zeros");
        assertFalse(i.registered || i.concluded, "flags");
    }

    function test_Constants() public view {
        assertEq(adj.MAX_CHALLENGE_DURATION(), 365 days, "max challenge");
        assertEq(adj.AMOUNT_LIMIT(), 2 ** 120, "amount limit");
        assertEq(adj.PAYOUT_GAS(), 50_000, "payout gas");
        assertEq(adj.TOKEN_PAYOUT_GAS(), 100_000, "token payout gas");
        assertEq(adj.MIN_CHALLENGE_DURATION(), 60, "min challenge");
    }
}

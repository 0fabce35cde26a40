// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorTest} from "./utils/AdjudicatorTest.sol";
import {vm} from "./utils/Vm.sol";
import {Adjudicator} from "../src/Adjudicator.sol";

/// The shared vectors of tests/vectors/eip712.json (signed with ethers `signTypedData`, also
/// checked by the C# tests): channel id, EIP-712 hashes, and that the contract, deployed at the
/// vector's address on the vector's chain, accepts the wallet's signatures.
contract VectorsTest is AdjudicatorTest {
    event log_named_uint(string key, uint256 val);

    string internal constant PATH = "../tests/vectors/eip712.json";

    function test_Vectors_MatchAndSignaturesAreAccepted() public {
        assertTrue(vm.exists(PATH), "tests/vectors/eip712.json is missing");
        string memory json = vm.readFile(PATH);
        bytes memory code = address(adj).code;
        uint256 n;
        for (; vm.keyExistsJson(json, string.concat(".cases[", vm.toString(n), "]")); n++) {
            uint256 snap = vm.snapshotState();
            _checkCase(json, string.concat(".cases[", vm.toString(n), "]"), code);
            vm.revertToState(snap);
        }
        assertGe(n, 1, "no vectors");
        emit log_named_uint("vectors checked", n);
    }

    function _checkCase(string memory json, string memory c, bytes memory code) internal {
        string memory name = vm.parseJsonString(json, string.concat(c, ".name"));
        vm.chainId(vm.parseJsonUint(json, string.concat(c, ".chainId")));
        Adjudicator a = Adjudicator(vm.parseJsonAddress(json, string.concat(c, ".adjudicator")));
        vm.etch(address(a), code); // the contract's runtime code at the vector's address

        Adjudicator.Params memory p = _paramsOf(json, string.concat(c, ".params"));
        Adjudicator.State memory s = Adjudicator.State(
            vm.parseJsonBytes32(json, string.concat(c, ".channelId")),
            uint64(vm.parseJsonUint(json, string.concat(c, ".state.version"))),
            vm.parseJsonUint(json, string.concat(c, ".state.balance0")),
            vm.parseJsonUint(json, string.concat(c, ".state.balance1")),
            vm.parseJsonBool(json, string.concat(c, ".state.isFinal"))
        );

        assertEq(a.channelId(p), s.channelId, string.concat(name, ": channelId"));
        assertEq(
            a.domainSeparator(),
            vm.parseJsonBytes32(json, string.concat(c, ".domainSeparator")),
            string.concat(name, ": domainSeparator")
        );
        assertEq(
            keccak256(abi.encode(a.STATE_TYPEHASH(), s.channelId, s.version, s.balance0, s.balance1, s.isFinal)),
            vm.parseJsonBytes32(json, string.concat(c, ".structHash")),
            string.concat(name, ": structHash")
        );
        bytes32 digest = vm.parseJsonBytes32(json, string.concat(c, ".digest"));
        assertEq(a.hashState(s), digest, string.concat(name, ": digest"));
        assertEq(
            vm.addr(vm.parseJsonUint(json, string.concat(c, ".privateKey0"))), p.participant0, string.concat(name, ": key0")
        );
        assertEq(
            vm.addr(vm.parseJsonUint(json, string.concat(c, ".privateKey1"))), p.participant1, string.concat(name, ": key1")
        );

        // the wallet's signatures are accepted by the hand-optimised verification path
        bytes memory sig0 = vm.parseJsonBytes(json, string.concat(c, ".sig0"));
        bytes memory sig1 = vm.parseJsonBytes(json, string.concat(c, ".sig1"));
        assertEq(sig0.length, 65, string.concat(name, ": sig0 length"));
        a.register(p, s, sig0, sig1);
        (,, bool registered, bool concluded, uint64 version,,) = a.getChannel(s.channelId);
        if (s.isFinal) {
            assertTrue(concluded, string.concat(name, ": final state concluded"));
        } else {
            assertTrue(registered, string.concat(name, ": registered"));
            assertEq(version, s.version, string.concat(name, ": version"));
        }
    }

    function _paramsOf(string memory json, string memory k) internal pure returns (Adjudicator.Params memory) {
        return Adjudicator.Params(
            vm.parseJsonAddress(json, string.concat(k, ".participant0")),
            vm.parseJsonAddress(json, string.concat(k, ".participant1")),
            vm.parseJsonAddress(json, string.concat(k, ".asset")),
            uint64(vm.parseJsonUint(json, string.concat(k, ".challengeDuration"))),
            uint256(vm.parseJsonBytes32(json, string.concat(k, ".nonce"))),
            vm.parseJsonUint(json, string.concat(k, ".funding0")),
            vm.parseJsonUint(json, string.concat(k, ".funding1"))
        );
    }
}

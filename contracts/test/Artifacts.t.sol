// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {Adjudicator} from "../src/Adjudicator.sol";
import {TestToken} from "./mocks/TestToken.sol";
import {PermitToken, RevertingPermitToken} from "./mocks/PermitToken.sol";

/// The committed artifacts (script/build.sh, used by the C# bindings and deployments) are the
/// very bytecode forge tests here: same source, same compiler settings. If this fails after a
/// change to src/, run script/build.sh; if it fails otherwise, foundry.toml and build.mjs disagree.
contract ArtifactsTest is Test {
    function test_Artifacts_AdjudicatorBytecodeIsWhatForgeTests() public view {
        bytes memory committed = vm.parseBytes(string.concat("0x", vm.readLine("artifacts/Adjudicator.bin")));
        assertEq(keccak256(committed), keccak256(type(Adjudicator).creationCode), "artifacts/Adjudicator.bin is stale");
    }

    function test_Artifacts_TestTokenBytecodeIsWhatForgeTests() public view {
        bytes memory committed = vm.parseBytes(string.concat("0x", vm.readLine("artifacts/TestToken.bin")));
        assertEq(keccak256(committed), keccak256(type(TestToken).creationCode), "artifacts/TestToken.bin is stale");
    }

    function test_Artifacts_PermitTokenBytecodeIsWhatForgeTests() public view {
        bytes memory committed = vm.parseBytes(string.concat("0x", vm.readLine("artifacts/PermitToken.bin")));
        assertEq(keccak256(committed), keccak256(type(PermitToken).creationCode), "artifacts/PermitToken.bin is stale");
    }

    function test_Artifacts_RevertingPermitTokenBytecodeIsWhatForgeTests() public view {
        bytes memory committed = vm.parseBytes(string.concat("0x", vm.readLine("artifacts/RevertingPermitToken.bin")));
        assertEq(
            keccak256(committed), keccak256(type(RevertingPermitToken).creationCode), "artifacts/RevertingPermitToken.bin is stale"
        );
    }
}

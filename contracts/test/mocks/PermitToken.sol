// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @notice ERC-20 with EIP-2612 `permit` (OpenZeppelin's ERC20Permit) and an open `mint`, for tests
/// only (the .NET integration tests on anvil through artifacts/PermitToken.*). Never deploy it for
/// real money.
contract PermitToken is ERC20Permit {
    constructor() ERC20("StateChannels Permit Token", "SCPT") ERC20Permit("StateChannels Permit Token") {}

    /// @notice Mint `amount` to `to`. Anyone may mint: it is a test token.
    /// @param to Recipient.
    /// @param amount Amount in base units (18 decimals).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

/// @notice A token that advertises EIP-2612 (`DOMAIN_SEPARATOR` and `nonces` answer) but whose
/// `permit` always reverts: the SDK must fall back to `approve`. Tests only.
contract RevertingPermitToken is PermitToken {
    /// @notice Always thrown by `permit`.
    error PermitDisabled();

    /// @notice Always reverts with `PermitDisabled`.
    function permit(address, address, uint256, uint256, uint8, bytes32, bytes32) public pure override {
        revert PermitDisabled();
    }
}

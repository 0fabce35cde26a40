// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Plain ERC-20 with an open `mint`, for tests only (forge tests, gas script, and the
/// .NET integration tests on anvil through artifacts/TestToken.*). Never deploy it for real money.
contract TestToken is ERC20 {
    constructor() ERC20("StateChannels Test Token", "SCTT") {}

    /// @notice Mint `amount` to `to`. Anyone may mint: it is a test token.
    /// @param to Recipient.
    /// @param amount Amount in base units (18 decimals).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

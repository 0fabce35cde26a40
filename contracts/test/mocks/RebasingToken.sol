// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice A rebasing ERC-20 (stETH/AMPL-style): balances are shares times a global index that the
/// owner moves up or down, so every holder's balance — the adjudicator's too — changes without a
/// transfer. Transfers move shares (rounding down).
contract RebasingToken {
    uint256 internal constant ONE = 1e18;

    mapping(address => uint256) public shares;
    mapping(address => mapping(address => uint256)) public allowance;
    uint256 public index = ONE;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    function rebase(uint256 newIndex) external {
        index = newIndex;
    }

    function balanceOf(address who) public view returns (uint256) {
        return shares[who] * index / ONE;
    }

    function mint(address to, uint256 amount) external {
        shares[to] += amount * ONE / index;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        require(allowed >= amount, "allowance");
        if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - amount;
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) internal {
        uint256 moved = amount * ONE / index;
        require(shares[from] >= moved, "balance");
        shares[from] -= moved;
        shares[to] += moved;
        emit Transfer(from, to, amount);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice A minimal ERC-20 whose transfer logic the misbehaving tokens below override.
/// Standard behaviour: returns true, reverts on insufficient balance or allowance.
abstract contract BaseMockToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    uint256 public totalSupply;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
        totalSupply += amount;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function _spend(address from, uint256 amount) internal {
        uint256 allowed = allowance[from][msg.sender];
        require(allowed >= amount, "allowance");
        if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - amount;
    }

    /// @dev Moves `amount` from `from`; returns what `to` received (fee tokens keep some).
    function _move(address from, address to, uint256 amount) internal virtual returns (uint256) {
        require(balanceOf[from] >= amount, "balance");
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
        return amount;
    }
}

/// @notice USDT-style: transfer and transferFrom return nothing.
contract NoReturnToken is BaseMockToken {
    function transfer(address to, uint256 amount) external {
        _move(msg.sender, to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) external {
        _spend(from, amount);
        _move(from, to, amount);
    }
}

/// @notice Returns false instead of reverting when a transfer fails, and fails every transfer
/// while `broken` is set.
contract FalseReturnToken is BaseMockToken {
    bool public broken;

    function setBroken(bool value) external {
        broken = value;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        if (broken || balanceOf[msg.sender] < amount) return false;
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        if (broken || balanceOf[from] < amount || allowance[from][msg.sender] < amount) return false;
        _spend(from, amount);
        _move(from, to, amount);
        return true;
    }
}

/// @notice Burns `feeBps` basis points of every transfer (the recipient gets the rest).
contract FeeOnTransferToken is BaseMockToken {
    uint256 public feeBps = 100; // 1 %

    function setFee(uint256 bps) external {
        feeBps = bps;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        _spend(from, amount);
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) internal override returns (uint256) {
        require(balanceOf[from] >= amount, "balance");
        uint256 fee = amount * feeBps / 10_000;
        balanceOf[from] -= amount;
        balanceOf[to] += amount - fee;
        totalSupply -= fee;
        emit Transfer(from, to, amount - fee);
        return amount - fee;
    }
}

/// @notice Reverts on transfers of zero (some real tokens do, e.g. LEND).
contract RevertOnZeroToken is BaseMockToken {
    function transfer(address to, uint256 amount) external returns (bool) {
        require(amount != 0, "zero amount");
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        require(amount != 0, "zero amount");
        _spend(from, amount);
        _move(from, to, amount);
        return true;
    }
}

/// @notice USDC-style blacklist: transfers from or to a blacklisted address revert.
contract BlacklistToken is BaseMockToken {
    mapping(address => bool) public blacklisted;

    function setBlacklisted(address account, bool value) external {
        blacklisted[account] = value;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        require(!blacklisted[msg.sender] && !blacklisted[to], "blacklisted");
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        require(!blacklisted[from] && !blacklisted[to], "blacklisted");
        _spend(from, amount);
        _move(from, to, amount);
        return true;
    }
}

/// @notice Receives ERC777-style hooks from HookToken.
interface ITokenHooks {
    function tokensToSend(address from, address to, uint256 amount) external;
    function tokensReceived(address from, address to, uint256 amount) external;
}

/// @notice ERC777-style: calls the sender's `tokensToSend` before and the recipient's
/// `tokensReceived` after every transfer when they registered for hooks (ERC-1820's role);
/// a reverting hook reverts the transfer.
contract HookToken is BaseMockToken {
    mapping(address => bool) public hooked;

    function setHooked(address account, bool value) external {
        hooked[account] = value;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _hooked(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        _spend(from, amount);
        _hooked(from, to, amount);
        return true;
    }

    function _hooked(address from, address to, uint256 amount) private {
        if (hooked[from]) ITokenHooks(from).tokensToSend(from, to, amount);
        _move(from, to, amount);
        if (hooked[to]) ITokenHooks(to).tokensReceived(from, to, amount);
    }
}

/// @notice Delivers `bonus` more than asked on every transferFrom (minted out of thin air): a
/// deposit must still credit no more than it pulled for.
contract BonusToken is BaseMockToken {
    uint256 public bonus = 7;

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        _spend(from, amount);
        _move(from, to, amount);
        balanceOf[to] += bonus;
        totalSupply += bonus;
        return true;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Adjudicator} from "../../src/Adjudicator.sol";

/// @notice Rejects every ETH transfer.
contract RevertingReceiver {
    receive() external payable {
        revert("no thanks");
    }
}

/// @notice Burns all the gas it is given when receiving ETH.
contract GasBurner {
    uint256 public sink;

    receive() external payable {
        while (true) {
            sink++;
        }
    }
}

/// @notice Reverts with a megabyte of return data (a "returndata bomb").
contract ReturnBomb {
    receive() external payable {
        assembly {
            revert(0, 1000000)
        }
    }
}

/// @notice Accepts ETH only when given at least `need` gas (a heavy smart-contract wallet).
contract HeavyReceiver {
    uint256 public immutable need;
    uint256 public received;

    constructor(uint256 need_) {
        need = need_;
    }

    receive() external payable {
        require(gasleft() >= need, "starved");
        received += msg.value;
    }
}

/// @notice On receiving ETH (or HookToken hooks) it calls `target` with `data` once.
/// `swallow` decides what happens when that re-entrant call fails: ignore it (accept the payment)
/// or revert (reject the payment). Configured through `arm` because tests etch this code onto a
/// participant's address, where no constructor runs.
contract ReentrantReceiver {
    address public target;
    bytes public data;
    bool public swallow;
    bool public attempted;
    bool public reentrySucceeded;

    function arm(address target_, bytes calldata data_, bool swallow_) external {
        target = target_;
        data = data_;
        swallow = swallow_;
        attempted = false;
        reentrySucceeded = false;
    }

    receive() external payable {
        _reenter();
    }

    function tokensReceived(address, address, uint256) external {
        _reenter();
    }

    function tokensToSend(address, address, uint256) external {
        _reenter();
    }

    function _reenter() private {
        if (attempted || target == address(0)) return;
        attempted = true;
        (bool ok, bytes memory ret) = target.call(data);
        reentrySucceeded = ok;
        if (!ok && !swallow) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }
}

/// @notice A token-hook recipient that reverts cheaply unless its hook gets `need` gas.
contract GasHungryHook {
    uint256 public immutable need;

    constructor(uint256 need_) {
        need = need_;
    }

    function tokensToSend(address, address, uint256) external pure {}

    function tokensReceived(address, address, uint256) external view {
        require(gasleft() >= need, "starved");
    }
}

/// @notice A token-hook recipient whose `tokensReceived` burns all the gas it is given (an
/// ERC-777-style hook, or EIP-7702 code on the recipient's address).
contract GasBurningHook {
    uint256 public sink;

    function tokensToSend(address, address, uint256) external pure {}

    function tokensReceived(address, address, uint256) external {
        while (true) {
            sink++;
        }
    }
}

/// @notice Deposits whatever ETH it receives straight back into one channel, for participant 1.
/// Everything lives in immutables (in the code), so it survives vm.etch and costs no storage gas
/// inside a payout's gas allowance; the deposit's outcome shows in the balances.
contract RedepositingReceiver {
    Adjudicator internal immutable adj;
    address internal immutable p0;
    address internal immutable p1;
    uint64 internal immutable duration;
    uint256 internal immutable nonce;
    uint256 internal immutable f0;
    uint256 internal immutable f1;
    uint256 internal immutable held;

    constructor(Adjudicator adj_, Adjudicator.Params memory p, uint256 held_) {
        adj = adj_;
        p0 = p.participant0;
        p1 = p.participant1;
        duration = p.challengeDuration;
        nonce = p.nonce;
        f0 = p.funding0;
        f1 = p.funding1;
        held = held_;
    }

    receive() external payable {
        Adjudicator.Params memory p = Adjudicator.Params(p0, p1, address(0), duration, nonce, f0, f1);
        (bool ok,) = address(adj).call{value: msg.value}(abi.encodeCall(Adjudicator.deposit, (p, 1, held, msg.value)));
        ok; // refused or not, the ETH stays with this receiver only if the deposit was refused
    }
}

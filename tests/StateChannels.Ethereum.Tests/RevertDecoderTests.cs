using StateChannels.Ethereum.Internal;

namespace StateChannels.Ethereum.Tests;

/// <summary>
/// Revert naming without the test tokens in the package: OpenZeppelin's ERC-20 errors (IERC6093)
/// come from the shipped errors-only Erc20Errors binding.
/// </summary>
public sealed class RevertDecoderTests
{
    [Fact]
    public void Decode_Erc20InsufficientBalance_NamedWithItsArguments()
    {
        // ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed) = 0xe450d38c
        var data = "0xe450d38c"
            + "0000000000000000000000001111111111111111111111111111111111111111"
            + "0000000000000000000000000000000000000000000000000000000000000005"
            + "0000000000000000000000000000000000000000000000000000000000000007";

        var (name, detail) = RevertDecoder.Decode(data);

        Assert.Equal("ERC20InsufficientBalance", name);
        Assert.Equal("ERC20InsufficientBalance(sender: 0x1111111111111111111111111111111111111111, balance: 5, needed: 7)", detail);
    }

    [Fact]
    public void Decode_Erc20InsufficientAllowance_Named()
    {
        // ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed) = 0xfb8f41b2
        var data = "0xfb8f41b2" + new string('0', 64) + new string('0', 63) + "1" + new string('0', 63) + "2";

        Assert.Equal("ERC20InsufficientAllowance", RevertDecoder.Decode(data).Name);
    }
}

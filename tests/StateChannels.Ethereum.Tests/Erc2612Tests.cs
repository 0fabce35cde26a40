using System.Numerics;
using StateChannels.Ethereum.Internal;

namespace StateChannels.Ethereum.Tests;

/// <summary>
/// The EIP-2612 permit digest against a vector from ethers v6 (<c>TypedDataEncoder.hash</c> and
/// <c>Wallet.signTypedData</c>, contracts/node_modules/ethers) for the domain
/// {name "StateChannels Permit Token", version "1", chainId 31337, verifyingContract 0x5FbD…0aa3}.
/// The on-chain cross-check (OpenZeppelin's ERC20Permit accepting our signature) is in <see cref="PermitDepositTests"/>.
/// </summary>
public sealed class Erc2612Tests
{
    private static readonly Hash32 Separator = Hash32.Parse("0xdde16457867674ad11a385fec00cf4095505dc925484060e045ee2fbc4ffd950");
    private static readonly EthAddress Spender = EthAddress.Parse("0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512");
    private static readonly BigInteger Value = BigInteger.Parse("1234567890123456789", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Digest_EthersVector_Matches()
    {
        using var owner = PrivateKey.Parse("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
        Assert.Equal(EthAddress.Parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"), owner.Address);

        var digest = Erc2612.Digest(Separator, owner.Address, Spender, Value, 7, 1_800_000_000);

        Assert.Equal(Hash32.Parse("0x5d18a8e9e79f9e81aa177656537206aca77978c5fea40cc2e12861ad4beac6d2"), digest);
    }

    [Fact]
    public void Digest_SignedWithTheOwnersKey_EqualsEthersSignTypedData()
    {
        using var owner = PrivateKey.Parse("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");

        var signature = owner.Sign(Erc2612.Digest(Separator, owner.Address, Spender, Value, 7, 1_800_000_000));

        Assert.Equal(
            Signature.Parse("0xcc9017592ebdace533f58f92a4b5ab60ae21f12f33479ace8ae30d885ce7b7aa685ff20123665b6f98d64519e47272ae0568588181ec4fd94b1b3b8199cbdb251c"),
            signature);
    }

    [Fact]
    public void Digest_AnyFieldChanged_Differs()
    {
        var owner = EthAddress.Parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        var baseline = Erc2612.Digest(Separator, owner, Spender, Value, 7, 1_800_000_000);

        Assert.NotEqual(baseline, Erc2612.Digest(Separator, owner, Spender, Value, 8, 1_800_000_000));
        Assert.NotEqual(baseline, Erc2612.Digest(Separator, owner, Spender, Value + 1, 7, 1_800_000_000));
        Assert.NotEqual(baseline, Erc2612.Digest(Separator, owner, Spender, Value, 7, 1_800_000_001));
        Assert.NotEqual(baseline, Erc2612.Digest(Separator, Spender, owner, Value, 7, 1_800_000_000));
        Assert.NotEqual(baseline, Erc2612.Digest(Hash32.Zero, owner, Spender, Value, 7, 1_800_000_000));
    }

    [Fact]
    public void Digest_NotAUint256_ThrowsArgumentOutOfRange()
    {
        var owner = EthAddress.Parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

        Assert.Throws<ArgumentOutOfRangeException>(() => Erc2612.Digest(Separator, owner, Spender, -1, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Erc2612.Digest(Separator, owner, Spender, BigInteger.One << 256, 0, 0));
    }
}

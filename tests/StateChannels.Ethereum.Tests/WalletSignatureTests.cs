using System.Numerics;
using Xunit.Abstractions;

namespace StateChannels.Ethereum.Tests;

/// <summary>
/// Acceptance: states signed by a real wallet library (ethers 6 <c>Wallet.signTypedData</c>, as
/// MetaMask signs typed data) verify with the core's recovery and are accepted by the deployed
/// Adjudicator, which pays out to the wei. Alice and Bob are anvil accounts 1 and 2 (they fund
/// the channel from their own accounts); Carol (account 3) submits, so the participants' balances
/// move by exactly their payouts.
/// </summary>
public sealed class WalletSignatureTests(AnvilFixture fx, ITestOutputHelper output) : IClassFixture<AnvilFixture>
{
    private static readonly BigInteger Funding0 = 2 * AnvilFixture.Ether;
    private static readonly BigInteger Funding1 = AnvilFixture.Ether;

    [Fact]
    public async Task CloseAsync_FinalStateSignedByEthersWallets_VerifiesInCSharpAndPaysOutToTheWei()
    {
        var (channel, alice, bob) = await OpenFundedChannelAsync();
        var id = Eip712.ComputeChannelId(fx.Domain, channel);
        var transfer = AnvilFixture.Ether * 3 / 4; // Alice paid Bob 0.75 ETH off-chain
        var state = new ChannelState(id, 7, Amount.FromWei(Funding0 - transfer), Amount.FromWei(Funding1 + transfer), IsFinal: true);

        var signed = await SignWithEthersAsync(state, alice, bob);

        var carol = await fx.ConnectAsync(fx.Keys[3]);
        var aliceBefore = await fx.BalanceAsync(alice.Address);
        var bobBefore = await fx.BalanceAsync(bob.Address);
        await carol.CloseAsync(channel, signed);

        Assert.Equal(aliceBefore + Funding0 - transfer, await fx.BalanceAsync(alice.Address));
        Assert.Equal(bobBefore + Funding1 + transfer, await fx.BalanceAsync(bob.Address));
        var view = await carol.GetChannelAsync(channel);
        Assert.True(view.Concluded);
        Assert.Equal(Amount.Zero, view.Held0);
        output.WriteLine($"gas: close {fx.LastGas("Adjudicator.close")}");
    }

    [Fact]
    public async Task RegisterAsync_StateSignedByEthersWallets_IsAcceptedAndConcludesToTheWei()
    {
        var (channel, alice, bob) = await OpenFundedChannelAsync();
        var id = Eip712.ComputeChannelId(fx.Domain, channel);
        var transfer = AnvilFixture.Ether / 3 + 12345; // an odd amount: every wei must arrive
        var state = new ChannelState(id, 41, Amount.FromWei(Funding0 - transfer), Amount.FromWei(Funding1 + transfer), IsFinal: false);

        var signed = await SignWithEthersAsync(state, alice, bob);

        var carol = await fx.ConnectAsync(fx.Keys[3]);
        await carol.RegisterAsync(channel, signed);
        var registered = await carol.GetChannelAsync(channel);
        Assert.Equal(41UL, registered.RegisteredVersion);

        await fx.Node.IncreaseTimeAsync(TimeSpan.FromSeconds(channel.ChallengeDurationSeconds + 1));
        var aliceBefore = await fx.BalanceAsync(alice.Address);
        var bobBefore = await fx.BalanceAsync(bob.Address);
        await carol.ConcludeAsync(channel);

        Assert.Equal(aliceBefore + Funding0 - transfer, await fx.BalanceAsync(alice.Address));
        Assert.Equal(bobBefore + Funding1 + transfer, await fx.BalanceAsync(bob.Address));
        Assert.True((await carol.GetChannelAsync(channel)).Concluded);
    }

    /// <summary>Both participants sign with ethers; the C# side checks what it received like it would a peer's signature.</summary>
    private async Task<SignedState> SignWithEthersAsync(ChannelState state, PrivateKey alice, PrivateKey bob)
    {
        var fromAlice = await EthersWallet.SignStateAsync(fx.Node.PrivateKeys[1], fx.Domain, state);
        var fromBob = await EthersWallet.SignStateAsync(fx.Node.PrivateKeys[2], fx.Domain, state);

        var digest = Eip712.HashState(fx.Domain, state);
        Assert.Equal(digest, fromAlice.Digest); // ethers' TypedDataEncoder.hash == our EIP-712 digest
        Assert.Equal(digest, fromBob.Digest);
        Assert.Equal(alice.Address, fromAlice.Signer);
        Assert.Equal(bob.Address, fromBob.Signer);

        Assert.Equal(alice.Address, Ecdsa.Recover(digest, fromAlice.Signature));
        Assert.Equal(bob.Address, Ecdsa.Recover(digest, fromBob.Signature));
        Assert.True(Ecdsa.Verify(digest, fromAlice.Signature, alice.Address));
        Assert.False(Ecdsa.Verify(digest, fromAlice.Signature, bob.Address));

        // Both sides use RFC 6979 nonces and low-s: the wallet's signature is byte for byte ours.
        Assert.Equal(alice.Sign(digest), fromAlice.Signature);
        Assert.Equal(bob.Sign(digest), fromBob.Signature);
        return new SignedState(state, fromAlice.Signature, fromBob.Signature);
    }

    /// <summary>Alice and Bob each deposit their funding from their own account; gas is accounted from the receipts.</summary>
    private async Task<(ChannelParams Channel, PrivateKey Alice, PrivateKey Bob)> OpenFundedChannelAsync()
    {
        var alice = fx.Keys[1];
        var bob = fx.Keys[2];
        var channel = AnvilFixture.NewChannel(alice.Address, bob.Address, Funding0, Funding1);

        var aliceChain = await fx.ConnectAsync(alice);
        var bobChain = await fx.ConnectAsync(bob);
        foreach (var (chain, index, funding) in new[] { (aliceChain, 0, Funding0), (bobChain, 1, Funding1) })
        {
            var before = await fx.BalanceAsync(chain.Account);
            await chain.DepositAsync(channel, index, Amount.Zero, Amount.FromWei(funding));
            var receipt = fx.Receipts.Last(r => r.Operation == "Adjudicator.deposit" && string.Equals(r.Receipt.From, chain.Account.ToString(), StringComparison.OrdinalIgnoreCase)).Receipt;
            Assert.Equal(before - funding - AnvilFixture.Fee(receipt), await fx.BalanceAsync(chain.Account));
        }

        var view = await aliceChain.GetChannelAsync(channel);
        Assert.True(view.IsUsable(channel));
        Assert.Equal(Amount.FromWei(Funding0), view.Held0);
        Assert.Equal(Amount.FromWei(Funding1), view.Held1);
        return (channel, alice, bob);
    }
}

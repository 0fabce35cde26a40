using System.Numerics;
using StateChannels.Integration.Tests.Lifecycle.Support;

namespace StateChannels.Integration.Tests.Lifecycle;

/// <summary>
/// A participant whose account refuses ETH at close time (here: anvil gives Bob's address code that
/// reverts, as a smart-contract wallet might) does not block Alice's payout: Bob's share is
/// credited, and once his account can receive again, <see cref="Channel.WithdrawAsync"/> collects it
/// to the wei.
/// </summary>
[Collection(LifecycleCollection.Name)]
public sealed class PayoutCreditTests(LifecycleChain chain, ITestOutputHelper output) : LifecycleTest(chain, output)
{
    // PUSH1 0 PUSH1 0 REVERT: every call (and every plain ETH transfer) reverts.
    private const string RevertingCode = "0x60006000fd";

    [Fact]
    public async Task WithdrawAsync_PayoutRefusedAtClose_CreditedThenWithdrawnToTheWei()
    {
        var funding0 = 2 * LifecycleChain.Ether;
        var funding1 = LifecycleChain.Ether;
        var alice = await PartyAsync("alice", EthAddress.Zero);
        var bob = await PartyAsync("bob", EthAddress.Zero);
        var start = await Chain.BlockNumberAsync();
        var before = await HoldingsAsync(EthAddress.Zero, start, alice, bob);
        bob.StartWatcher();
        await ConnectAsync(alice, bob);
        var channel = await alice.Client.OpenChannelAsync(bob.Address, Amount.FromWei(funding0), Amount.FromWei(funding1));
        var paid = LifecycleChain.Ether / 4;
        await channel.PayAsync(Amount.FromWei(paid));
        var bobChannel = bob.Client.GetChannel(channel.Id);
        await EventuallyAsync(() => bobChannel.Latest?.State.Version == channel.Latest!.State.Version, "Bob is up to date");

        await Chain.Node.RpcAsync("anvil_setCode", bob.Address.ToString(), RevertingCode);
        await channel.CloseAsync();
        await EventuallyAsync(() => bobChannel.Phase == ChannelPhase.Closed, "Bob's watcher sees the channel concluded");
        Assert.Equal(Amount.FromWei(funding1 + paid), await bob.Chain.GetCreditAsync(bob.Address, EthAddress.Zero));

        await Chain.Node.RpcAsync("anvil_setCode", bob.Address.ToString(), "0x");
        await bobChannel.WithdrawAsync();
        Assert.Equal(Amount.Zero, await bob.Chain.GetCreditAsync(bob.Address, EthAddress.Zero));

        // Nothing left to withdraw: a second call is refused by the contract, typed.
        var again = await Assert.ThrowsAsync<StateChannelException>(() => bobChannel.WithdrawAsync());
        Assert.Equal(ErrorCode.TransactionFailed, again.Code);
        Assert.StartsWith("NothingToWithdraw", again.Message, StringComparison.Ordinal);

        var end = await Chain.BlockNumberAsync();
        var after = await HoldingsAsync(EthAddress.Zero, end, alice, bob);
        var mined = await MinedSinceAsync(start + 1);
        Assert.Single(mined, t => t.Operation == "withdraw ETH" && t.From == bob.Address);
        await AssertSettledAsync(
            EthAddress.Zero, before, after, mined, (alice, funding0, funding0 - paid), (bob, funding1, funding1 + paid));
    }
}

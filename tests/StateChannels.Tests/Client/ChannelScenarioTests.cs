using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>Alice and Bob on a simulated chain over an in-memory connection: the engine end to end.</summary>
public sealed class ChannelScenarioTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly SimulatedChain _chain = new(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
    private Party _alice = null!;
    private Party _bob = null!;

    public async Task InitializeAsync()
    {
        _alice = await Party.CreateAsync("alice", _chain);
        _bob = await Party.CreateAsync("bob", _chain);
    }

    public async Task DisposeAsync()
    {
        await _alice.DisposeAsync();
        await _bob.DisposeAsync();
    }

    private async Task<(Channel Alice, Channel Bob)> OpenAsync(ulong aliceFunding = 1_000, ulong bobFunding = 1_000)
    {
        Party.Connect(_alice, _bob);
        var a = await _alice.Client.OpenChannelAsync(_bob.Address, aliceFunding, bobFunding).WaitAsync(Limit);
        var b = _bob.Client.GetChannel(a.Id);
        await WaitUntilAsync(() => b.Phase == ChannelPhase.Active);
        return (a, b);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in time");
            await Task.Delay(5);
        }
    }

    private static void AssertConverged(Channel a, Channel b, ulong alice, ulong bob)
    {
        Assert.Equal(a.Latest, b.Latest);
        Assert.Equal(new Amount(alice), a.Latest!.State.Balance0);
        Assert.Equal(new Amount(bob), a.Latest.State.Balance1);
    }

    [Fact]
    public async Task OpenChannel_BothFund_ActiveWithVersionZero()
    {
        var (a, b) = await OpenAsync(700, 300);
        Assert.Equal(ChannelPhase.Active, a.Phase);
        Assert.Equal(0UL, a.Latest!.State.Version);
        AssertConverged(a, b, 700, 300);
        var onChain = await _chain.For(_alice.Address).GetChannelAsync(a.Params);
        Assert.Equal(new Amount(700), onChain.Held0);
        Assert.Equal(new Amount(300), onChain.Held1);
    }

    [Fact]
    public async Task PayAsync_BothDirections_BalancesConservedAndEqual()
    {
        var (a, b) = await OpenAsync();
        for (var i = 0; i < 20; i++)
        {
            await a.PayAsync(3);
            await b.PayAsync(1);
        }

        await WaitUntilAsync(() => b.Latest!.State.Version == a.Latest!.State.Version);
        AssertConverged(a, b, 1_000 - 60 + 20, 1_000 + 60 - 20);
        Assert.Equal(40UL, a.Latest!.State.Version);
    }

    [Fact]
    public async Task PayAsync_ManyConcurrentCallers_CoalescedIntoFewerStates()
    {
        var (a, b) = await OpenAsync(100_000, 0);
        var receipts = await Task.WhenAll(Enumerable.Range(0, 500).Select(_ => a.PayAsync(2))).WaitAsync(Limit);
        await WaitUntilAsync(() => b.Latest!.State.Version == a.Latest!.State.Version);
        AssertConverged(a, b, 100_000 - 1_000, 1_000);
        Assert.True(a.Latest!.State.Version < 500, $"500 payments took {a.Latest.State.Version} versions: no coalescing");
        // Every caller's receipt names a durable state that carries its payment.
        Assert.All(receipts, r => Assert.True(r.Version >= 1 && r.Version <= a.Latest.State.Version));
    }

    [Fact]
    public async Task PayAsync_SimultaneousFromBothSides_NoDeadlockAndOneStatePerVersion()
    {
        var (a, b) = await OpenAsync(100_000, 100_000);
        for (var round = 0; round < 200; round++)
        {
            await Task.WhenAll(a.PayAsync(5), b.PayAsync(3)).WaitAsync(Limit);
        }

        await WaitUntilAsync(() => b.Latest!.State.Version == a.Latest!.State.Version);
        AssertConverged(a, b, 100_000 - 1_000 + 600, 100_000 + 1_000 - 600);
        await AssertOneStatePerVersionAsync(a.Id);
    }

    private async Task AssertOneStatePerVersionAsync(ChannelId id)
    {
        var aHistory = new Dictionary<ulong, SignedState>();
        await foreach (var s in _alice.Store.GetHistoryAsync(id))
        {
            Assert.True(aHistory.TryAdd(s.State.Version, s), $"two states at version {s.State.Version}");
        }

        await foreach (var s in _bob.Store.GetHistoryAsync(id))
        {
            if (aHistory.TryGetValue(s.State.Version, out var other))
            {
                Assert.Equal(other.State, s.State);
            }
        }
    }

    [Fact]
    public async Task PayAsync_MoreThanBalance_InsufficientFundsAndNothingSent()
    {
        var (a, _) = await OpenAsync(10, 10);
        var e = await Assert.ThrowsAsync<StateChannelException>(() => a.PayAsync(11));
        Assert.Equal(ErrorCode.InsufficientFunds, e.Code);
        Assert.Equal(0UL, a.Latest!.State.Version);
    }

    [Fact]
    public async Task PayAsync_CancelledBeforeCall_Throws()
    {
        var (a, _) = await OpenAsync();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a.PayAsync(1, cts.Token));
        Assert.Equal(0UL, a.Latest!.State.Version);
    }

    [Fact]
    public async Task CloseAsync_AfterPayments_ChainPaysFinalBalancesToTheWei()
    {
        var (a, b) = await OpenAsync(1_000, 500);
        await a.PayAsync(250);
        await b.PayAsync(100);
        await a.CloseAsync().WaitAsync(Limit);
        Assert.Equal(ChannelPhase.Closed, a.Phase);
        Assert.Equal(new Amount(850), _chain.BalanceOf(_alice.Address, EthAddress.Zero));
        Assert.Equal(new Amount(650), _chain.BalanceOf(_bob.Address, EthAddress.Zero));
        await Assert.ThrowsAsync<StateChannelException>(() => a.PayAsync(1));
    }

    [Fact]
    public async Task Reestablish_ConfirmLost_ResponderAdoptsFullySignedStateOnReconnect()
    {
        var (a, b) = await OpenAsync();
        await _alice.DisconnectAllAsync();
        await _bob.DisconnectAllAsync();
        var (aliceSide, _) = Party.Connect(_alice, _bob);
        await WaitUntilAsync(() => a.Latest is not null);

        // Drop Alice's Confirm: Bob holds only his own signature on version 1.
        aliceSide.Tamper = frame => frame[1] == (byte)MessageType.Confirm ? null : frame;
        await a.PayAsync(7).WaitAsync(Limit);
        Assert.Equal(1UL, a.Latest!.State.Version);
        Assert.Equal(0UL, b.Latest!.State.Version);

        await _alice.DisconnectAllAsync();
        await _bob.DisconnectAllAsync();
        Party.Connect(_alice, _bob);
        await WaitUntilAsync(() => b.Latest!.State.Version == 1);
        AssertConverged(a, b, 993, 1_007);
        await a.PayAsync(1).WaitAsync(Limit);
        await WaitUntilAsync(() => b.Latest!.State.Version == 2);
    }

    [Fact]
    public async Task Reestablish_AcceptLost_ProposalRetriedAboveResponderIntent()
    {
        var (a, b) = await OpenAsync();
        await _alice.DisconnectAllAsync();
        await _bob.DisconnectAllAsync();
        var (_, bobSide) = Party.Connect(_alice, _bob);
        bobSide.Tamper = frame => frame[1] == (byte)MessageType.Accept ? null : frame;
        var payment = a.PayAsync(9);
        await WaitUntilAsync(() => _bob.Client.GetChannel(b.Id).Latest is not null && BobSigned(b.Id) == 1);
        Assert.False(payment.IsCompleted);

        // Reconnect: Bob reports his signed intent at v1; Alice completes her own proposal with it.
        await _alice.DisconnectAllAsync();
        await _bob.DisconnectAllAsync();
        Party.Connect(_alice, _bob);
        var receipt = await payment.WaitAsync(Limit);
        Assert.Equal(1UL, receipt.Version);
        await WaitUntilAsync(() => b.Latest!.State.Version == 1);
        AssertConverged(a, b, 991, 1_009);
    }

    private ulong BobSigned(ChannelId id) =>
        _bob.Store.GetChannelAsync(id).AsTask().Result?.LastSigned?.State.Version ?? 0;
}

using Microsoft.Extensions.Time.Testing;
using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// Regressions found by the lifecycle tests on anvil (tests/StateChannels.Integration.Tests/Lifecycle),
/// reproduced on the simulated chain: payments must not outlive the channel's active life, and a
/// peer that never funds must cost us nothing but the refund's gas.
/// </summary>
public sealed class ExitRegressionTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _blockTime = new(DateTimeOffset.UtcNow);
    private readonly SimulatedChain _chain;
    private readonly List<IAsyncDisposable> _owned = [];

    public ExitRegressionTests() =>
        _chain = new SimulatedChain(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")), _blockTime);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var o in _owned)
        {
            await o.DisposeAsync();
        }
    }

    private static Func<InMemoryFrame, bool> Is(MessageType type) => f => f.Payload.Span[1] == (byte)type;

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in time");
            await Task.Delay(5);
        }
    }

    private async Task<Party> PartyAsync(string name, StateChannelClientOptions? options = null)
    {
        var party = await Party.CreateAsync(name, _chain, options: options, clientTime: TimeProvider.System);
        _owned.Add(party);
        return party;
    }

    [Fact]
    public async Task ForceClose_PaymentsInFlightAndQueued_FailWithWrongPhaseInsteadOfWaitingForever()
    {
        var alice = await PartyAsync("alice");
        var bob = await PartyAsync("bob");
        var link = Party.Connect(alice, bob);
        var a = await alice.Client.OpenChannelAsync(bob.Address, 1_000, 1_000).WaitAsync(Limit);
        await a.PayAsync(10).WaitAsync(Limit);

        // Bob's answer to the next proposal is lost: one payment in flight, one queued behind it.
        link.Faults.DropNext(Is(MessageType.Accept));
        var inFlight = a.PayAsync(20);
        var queued = a.PayAsync(30);
        await WaitUntilAsync(() => link.Faults.Applied.Count > 0);

        var forceClose = a.ForceCloseAsync();
        await WaitUntilAsync(() => a.Phase == ChannelPhase.Disputed);
        Assert.Equal(ErrorCode.WrongPhase, (await Assert.ThrowsAsync<StateChannelException>(() => inFlight.WaitAsync(Limit))).Code);
        Assert.Equal(ErrorCode.WrongPhase, (await Assert.ThrowsAsync<StateChannelException>(() => queued.WaitAsync(Limit))).Code);

        _blockTime.Advance(TimeSpan.FromHours(2));
        await forceClose.WaitAsync(Limit);
        Assert.Equal(new Amount(990), _chain.BalanceOf(alice.Address, EthAddress.Zero));
        Assert.Equal(new Amount(1_010), _chain.BalanceOf(bob.Address, EthAddress.Zero));
    }

    [Fact]
    public async Task FundingTimeout_PeerNeverFunds_VersionZeroRegisteredAndDepositRefundedExactly()
    {
        var options = Party.FastOptions();
        options.FundingTimeout = TimeSpan.FromMilliseconds(300);
        var alice = await PartyAsync("alice", options);
        using var bobKey = PrivateKey.Create();
        await using var bob = await StateChannelClient.CreateAsync(
            Party.FastOptions(), new PrivateKeySigner(bobKey), new InMemoryChannelStore(), new NeverFunds(_chain.For(bobKey.Address)));
        var pair = InMemoryTransport.CreatePair(alice.Address, bobKey.Address);
        alice.Serve(pair.First);
        using var stopBob = new CancellationTokenSource();
        var bobRun = bob.RunConnectionAsync(pair.Second, stopBob.Token);

        var e = await Assert.ThrowsAsync<StateChannelException>(
            () => alice.Client.OpenChannelAsync(bobKey.Address, 700, 300).WaitAsync(Limit));
        Assert.Equal(ErrorCode.Timeout, e.Code);
        var channel = Assert.Single(alice.Client.Channels);

        // The refund started by itself: version 0 is registered; after the deadline the watcher concludes.
        await WaitUntilAsync(() => channel.Phase == ChannelPhase.Disputed);
        var view = await _chain.For(alice.Address).GetChannelAsync(channel.Params);
        Assert.Equal(0UL, view.RegisteredVersion);
        Assert.Equal(new Amount(700), view.Held0);
        Assert.Equal(Amount.Zero, view.Held1);

        _blockTime.Advance(TimeSpan.FromHours(2));
        await alice.Client.WatchOnceAsync(CancellationToken.None);
        Assert.Equal(ChannelPhase.Closed, channel.Phase);
        Assert.Equal(new Amount(700), _chain.BalanceOf(alice.Address, EthAddress.Zero));
        Assert.Equal(Amount.Zero, _chain.BalanceOf(bobKey.Address, EthAddress.Zero));
        await stopBob.CancelAsync();
        await bobRun;
    }

    [Fact]
    public async Task FundingTimeout_ClientRestartedWhileFunding_DeadlineCountsFromVersionZeroNotFromTheRestart()
    {
        var clientTime = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = Party.FastOptions();
        options.FundingTimeout = TimeSpan.FromHours(1);
        using var aliceKey = PrivateKey.Create();
        using var bobKey = PrivateKey.Create();
        var store = new InMemoryChannelStore();
        var crashed = new Crashable(_chain.For(aliceKey.Address));
        await using var alice = await StateChannelClient.CreateAsync(options, new PrivateKeySigner(aliceKey), store, crashed, clientTime);
        await using var bob = await StateChannelClient.CreateAsync(
            Party.FastOptions(), new PrivateKeySigner(bobKey), new InMemoryChannelStore(), new NeverFunds(_chain.For(bobKey.Address)));
        var pair = InMemoryTransport.CreatePair(aliceKey.Address, bobKey.Address);
        using var stop = new CancellationTokenSource();
        var runs = new[] { alice.RunConnectionAsync(pair.First, stop.Token), bob.RunConnectionAsync(pair.Second, stop.Token) };
        var open = alice.OpenChannelAsync(bobKey.Address, 700, 300);
        await WaitUntilAsync(() => alice.Channels.Any(c => c.Phase == ChannelPhase.Funding));
        var id = alice.Channels.Single().Id;
        var @params = alice.Channels.Single().Params;
        await WaitUntilAsync(() => _chain.For(aliceKey.Address).GetChannelAsync(@params).AsTask().Result.Held0 == new Amount(700));

        // Alice's process dies 50 minutes into funding and starts again from its store.
        crashed.Crash();
        await AdvanceAsync(clientTime, TimeSpan.FromMinutes(50));
        // The dead process's chain reads fail; its funding wait retries them until its own deadline,
        // so end the process instead of waiting for it.
        await stop.CancelAsync();
        await Task.WhenAll(runs);
        await alice.DisposeAsync();
        _ = open.ContinueWith(t => t.Exception, TaskScheduler.Default); // its outcome does not matter: the process is gone
        await using var restarted = await StateChannelClient.CreateAsync(
            options, new PrivateKeySigner(aliceKey), store, _chain.For(aliceKey.Address), clientTime);
        var channel = restarted.GetChannel(id);
        Assert.Equal(ChannelPhase.Funding, channel.Phase);

        // 65 minutes after version 0 (15 after the restart) the hour is over: abort and refund.
        await AdvanceAsync(clientTime, TimeSpan.FromMinutes(15));
        await WaitUntilAsync(() => channel.Phase == ChannelPhase.Disputed);
        Assert.Equal(0UL, (await _chain.For(aliceKey.Address).GetChannelAsync(@params)).RegisteredVersion);
    }

    /// <summary>
    /// Moves the fake clock a minute at a time, letting real time pass in between, so that a
    /// polling loop that was between two waits when a step happened still sees the next one.
    /// </summary>
    private static async Task AdvanceAsync(FakeTimeProvider clock, TimeSpan by)
    {
        for (var moved = TimeSpan.Zero; moved < by; moved += TimeSpan.FromMinutes(1))
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(20);
        }
    }

    /// <summary>The chain as a crashed process sees it: after <see cref="Crash"/>, every call fails.</summary>
    private sealed class Crashable(IAdjudicator inner) : DelegatingAdjudicator(inner)
    {
        private volatile bool _crashed;

        public void Crash() => _crashed = true;

        public override ValueTask DepositAsync(ChannelParams channel, int index, Amount expectedHeld, Amount amount, CancellationToken cancellationToken = default) =>
            Alive() ? Inner.DepositAsync(channel, index, expectedHeld, amount, cancellationToken) : throw Dead();

        public override ValueTask<OnChainChannel> GetChannelAsync(ChannelParams channel, CancellationToken cancellationToken = default) =>
            Alive() ? Inner.GetChannelAsync(channel, cancellationToken) : throw Dead();

        public override ValueTask CloseAsync(ChannelParams channel, SignedState finalState, CancellationToken cancellationToken = default) =>
            Alive() ? Inner.CloseAsync(channel, finalState, cancellationToken) : throw Dead();

        public override ValueTask RegisterAsync(ChannelParams channel, SignedState state, CancellationToken cancellationToken = default) =>
            Alive() ? Inner.RegisterAsync(channel, state, cancellationToken) : throw Dead();

        public override ValueTask ConcludeAsync(ChannelParams channel, CancellationToken cancellationToken = default) =>
            Alive() ? Inner.ConcludeAsync(channel, cancellationToken) : throw Dead();

        public override ValueTask WithdrawAsync(EthAddress asset, CancellationToken cancellationToken = default) =>
            Alive() ? Inner.WithdrawAsync(asset, cancellationToken) : throw Dead();

        private bool Alive() => !_crashed;

        private static StateChannelException Dead() => new(ErrorCode.ChainRpcFailure, "process crashed");
    }

    /// <summary>A peer that signs version 0 and then never deposits.</summary>
    private sealed class NeverFunds(IAdjudicator inner) : DelegatingAdjudicator(inner)
    {
        public override ValueTask DepositAsync(ChannelParams channel, int index, Amount expectedHeld, Amount amount, CancellationToken cancellationToken = default) =>
            ValueTask.CompletedTask;
    }
}

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
    private InMemoryTransport _link = null!;

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
        _link = Party.Connect(_alice, _bob);
        var a = await _alice.Client.OpenChannelAsync(_bob.Address, aliceFunding, bobFunding).WaitAsync(Limit);
        var b = _bob.Client.GetChannel(a.Id);
        await WaitUntilAsync(() => b.Phase == ChannelPhase.Active);
        return (a, b);
    }

    /// <summary>
    /// A connection re-establishes the channels it finds when it starts. A channel opened on that
    /// connection while it was still doing so (the opener's open right after "connected") must not
    /// be re-established by it: that unsynced the new channel (the peer, already in step, sends no
    /// answer) and, mid-open, left it waiting for a Confirm of its own proposal, so its payments
    /// waited forever (found by the crash tests: a restarted opener's payments hung after the open).
    /// </summary>
    [Fact]
    public async Task ChannelOpenedOnAConnection_ReachedByThatConnectionsStart_KeepsPaying()
    {
        var (a, b) = await OpenAsync();

        // The connection's start reaches the channel opened on it (as in the race), on one side at
        // a time: the peer's connection is not starting, so it sends no reestablish of its own.
        await a.Machine.OnConnectedAsync(_alice.Client.SessionWith(_bob.Address)!).WaitAsync(Limit);
        await a.PayAsync(3).WaitAsync(TimeSpan.FromSeconds(10));
        await b.Machine.OnConnectedAsync(_bob.Client.SessionWith(_alice.Address)!).WaitAsync(Limit);
        await b.PayAsync(1).WaitAsync(TimeSpan.FromSeconds(10));
        await WaitUntilAsync(() => a.Latest!.State.Version == 2 && b.Latest!.State.Version == 2);
        Assert.Equal(a.Latest, b.Latest);
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

    private async Task ReconnectAsync()
    {
        await _alice.DisconnectAllAsync();
        await _bob.DisconnectAllAsync();
        Party.Reconnect(_link, _alice, _bob);
    }

    private static Func<InMemoryFrame, bool> Is(MessageType type) => f => f.Payload.Span[1] == (byte)type;

    [Fact]
    public async Task Reestablish_ConfirmLost_ResponderAdoptsFullySignedStateOnReconnect()
    {
        var (a, b) = await OpenAsync();

        // Drop Alice's Confirm: Bob holds only his own signature on version 1.
        _link.Faults.DropNext(Is(MessageType.Confirm));
        await a.PayAsync(7).WaitAsync(Limit);
        Assert.Equal(1UL, a.Latest!.State.Version);
        Assert.Equal(0UL, b.Latest!.State.Version);

        await ReconnectAsync();
        await WaitUntilAsync(() => b.Latest!.State.Version == 1);
        AssertConverged(a, b, 993, 1_007);
        await a.PayAsync(1).WaitAsync(Limit);
        await WaitUntilAsync(() => b.Latest!.State.Version == 2);
    }

    /// <summary>
    /// THREATS C4: Bob stops after Alice's Confirm was lost, so his store holds only his own
    /// signature on version 1 (what a kill between receiving and storing the Confirm leaves), and
    /// restarts from that store. Alice's reestablish alone restores the fully signed version 1: no
    /// later payment is needed to supersede it, so a dispute right after the restart pays Bob it.
    /// </summary>
    [Fact]
    public async Task Restart_ResponderStoredOnlyItsIntent_PeersReestablishRestoresFullySignedState()
    {
        var (a, _) = await OpenAsync();
        _link.Faults.DropNext(Is(MessageType.Confirm));
        await a.PayAsync(7).WaitAsync(Limit);
        await _alice.DisconnectAllAsync();
        await _bob.DisposeAsync();
        var stored = await _bob.Store.GetChannelAsync(a.Id);
        Assert.Equal(0UL, stored!.Latest!.State.Version);
        Assert.Equal(1UL, stored.LastSigned!.State.Version);

        _bob = await Party.CreateAsync("bob", _chain, _bob.Store, keyOf: _bob.Key);
        Party.Reconnect(_link, _alice, _bob);
        var b = _bob.Client.GetChannel(a.Id);
        await WaitUntilAsync(() => b.Latest!.State.Version == 1);
        AssertConverged(a, b, 993, 1_007);
    }

    [Fact]
    public async Task Responder_ConfirmNeverArrives_DropsConnectionAfterUpdateTimeoutThenConverges()
    {
        await _bob.DisposeAsync();
        var options = Party.FastOptions();
        options.UpdateTimeout = TimeSpan.FromMilliseconds(300);
        _bob = await Party.CreateAsync("bob", _chain, options: options);
        var (a, b) = await OpenAsync();

        // Alice's Confirm is lost but the connection stays up: Bob must not wait for ever.
        _link.Faults.DropNext(Is(MessageType.Confirm));
        await a.PayAsync(4).WaitAsync(Limit);
        await WaitUntilAsync(() => !_link.IsConnected);
        Assert.Equal(0UL, b.Latest!.State.Version);

        await ReconnectAsync();
        await WaitUntilAsync(() => b.Latest!.State.Version == 1);
        await b.PayAsync(1).WaitAsync(Limit);
        await WaitUntilAsync(() => a.Latest!.State.Version == 2);
        AssertConverged(a, b, 997, 1_003);
    }

    [Fact]
    public async Task Reestablish_AcceptLost_ProposalCompletedFromResponderIntent()
    {
        var (a, b) = await OpenAsync();
        _link.Faults.DropNext(Is(MessageType.Accept));
        var payment = a.PayAsync(9);
        await WaitUntilAsync(() => BobSigned(b.Id) == 1);
        Assert.False(payment.IsCompleted);

        // Reconnect: Bob reports his signed intent at v1; Alice completes her own proposal with it.
        await ReconnectAsync();
        var receipt = await payment.WaitAsync(Limit);
        Assert.Equal(1UL, receipt.Version);
        await WaitUntilAsync(() => b.Latest!.State.Version == 1);
        AssertConverged(a, b, 991, 1_009);
    }

    /// <summary>
    /// THREATS C3: as above, but Alice queues another payment before the reconnect, so her next
    /// proposal would not be the state Bob signed. Only Bob's signed intent in his reestablish
    /// lets her complete version 1 (re-proposing the same state would not do: it has changed).
    /// </summary>
    [Fact]
    public async Task Reestablish_AcceptLostThenAnotherPaymentQueued_ProposalCompletedFromResponderIntent()
    {
        var (a, b) = await OpenAsync();
        _link.Faults.DropNext(Is(MessageType.Accept));
        var first = a.PayAsync(9);
        await WaitUntilAsync(() => BobSigned(b.Id) == 1);
        var second = a.PayAsync(5); // queued behind the unanswered proposal
        Assert.False(first.IsCompleted);

        await ReconnectAsync();
        var receipts = await Task.WhenAll(first, second).WaitAsync(Limit);
        Assert.Equal(1UL, receipts[0].Version);
        Assert.Equal(2UL, receipts[1].Version);
        await WaitUntilAsync(() => b.Latest!.State.Version == 2);
        AssertConverged(a, b, 986, 1_014);
    }

    [Theory]
    [InlineData("Propose")]
    [InlineData("Accept")]
    [InlineData("Confirm")]
    [InlineData("Reestablish")]
    public async Task Transport_EachMessageDroppedOnce_ConvergesAfterReestablish(string message)
    {
        var type = Enum.Parse<MessageType>(message);
        var (a, b) = await OpenAsync();
        _link.Faults.DropNext(Is(type));
        var first = a.PayAsync(5);
        var second = b.PayAsync(2);
        await Task.Delay(50);
        await ReconnectAsync();
        await Task.WhenAll(first, second).WaitAsync(Limit);
        await WaitUntilAsync(() => a.Latest!.State.Version == b.Latest!.State.Version);
        AssertConverged(a, b, 997, 1_003);
        await AssertOneStatePerVersionAsync(a.Id);
    }

    [Theory]
    [InlineData("Propose")]
    [InlineData("Accept")]
    [InlineData("Confirm")]
    [InlineData("Reestablish")]
    public async Task Transport_EachMessageDuplicated_NoDoubleApply(string message)
    {
        var type = Enum.Parse<MessageType>(message);
        var (a, b) = await OpenAsync();
        _link.Faults.DuplicateNext(Is(type));
        await ReconnectAsync();
        await a.PayAsync(5).WaitAsync(Limit);
        await b.PayAsync(2).WaitAsync(Limit);
        await WaitUntilAsync(() => a.Latest!.State.Version == 2 && b.Latest!.State.Version == 2);
        AssertConverged(a, b, 997, 1_003);
    }

    /// <summary>THREATS D4: the link goes down just before, or just after, each message type is sent.</summary>
    [Theory]
    [InlineData("Propose", true)]
    [InlineData("Propose", false)]
    [InlineData("Accept", true)]
    [InlineData("Accept", false)]
    [InlineData("Confirm", true)]
    [InlineData("Confirm", false)]
    [InlineData("Reestablish", true)]
    [InlineData("Reestablish", false)]
    public async Task Transport_DisconnectAroundEachMessage_ConvergesAfterReconnect(string message, bool before)
    {
        var type = Enum.Parse<MessageType>(message);
        var (a, b) = await OpenAsync();
        if (before)
        {
            _link.Faults.DisconnectBeforeNext(Is(type));
        }
        else
        {
            _link.Faults.DisconnectAfterNext(Is(type));
        }

        var first = a.PayAsync(5);
        var second = b.PayAsync(2);
        if (type == MessageType.Reestablish)
        {
            await ReconnectAsync(); // the next reestablish is the one on this reconnect
        }

        await WaitUntilAsync(() => !_link.IsConnected);
        await ReconnectAsync();
        await Task.WhenAll(first, second).WaitAsync(Limit);
        await WaitUntilAsync(() => a.Latest!.State.Version == b.Latest!.State.Version);
        AssertConverged(a, b, 997, 1_003);
        await AssertOneStatePerVersionAsync(a.Id);
        await a.PayAsync(1).WaitAsync(Limit);
        await WaitUntilAsync(() => b.Latest!.State.Version == a.Latest!.State.Version);
        AssertConverged(a, b, 996, 1_004);
    }

    [Fact]
    public async Task Transport_RandomDropsDuplicatesReorders_ConvergesWithConservedBalances()
    {
        var (a, b) = await OpenAsync(100_000, 100_000);
        _link.Faults.DuplicateProbability = 0.1;
        _link.Faults.ReorderProbability = 0.1;
        _link.Faults.DropProbability = 0.05;
        var paidByAlice = 0UL;
        var paidByBob = 0UL;
        for (var round = 0; round < 100; round++)
        {
            var pa = a.PayAsync(3);
            var pb = b.PayAsync(1);
            var both = Task.WhenAll(pa, pb);
            while (!both.IsCompleted)
            {
                // A lost frame stalls the update until the connection is re-established, as a real
                // transport's timeout would force; delayed frames are released out of order.
                if (await Task.WhenAny(both, Task.Delay(30)) != both)
                {
                    _link.ReleaseDelayed();
                    await ReconnectAsync();
                }
            }

            await both;
            paidByAlice += 3;
            paidByBob += 1;
        }

        _link.Faults.DuplicateProbability = 0;
        _link.Faults.ReorderProbability = 0;
        _link.Faults.DropProbability = 0;
        await ReconnectAsync();
        await WaitUntilAsync(() => a.Latest!.State.Version == b.Latest!.State.Version);
        AssertConverged(a, b, 100_000 - paidByAlice + paidByBob, 100_000 + paidByAlice - paidByBob);
        await AssertOneStatePerVersionAsync(a.Id);
    }

    private ulong BobSigned(ChannelId id) =>
        _bob.Store.GetChannelAsync(id).AsTask().Result?.LastSigned?.State.Version ?? 0;
}

using Microsoft.Extensions.Time.Testing;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>The event-driven watcher on the simulated chain: reads only what events point at, catches up after downtime, alarms on a stale chain.</summary>
public sealed class WatcherEventTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private static readonly Eip712Domain Domain = new(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3"));
    private readonly FakeTimeProvider _blockTime = new(DateTimeOffset.UtcNow);
    private readonly SimulatedChain _chain;
    private readonly List<Party> _parties = [];

    public WatcherEventTests() => _chain = new SimulatedChain(Domain, _blockTime);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var p in _parties)
        {
            await p.DisposeAsync();
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, Action? tick = null)
    {
        var until = DateTime.UtcNow + Limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in time");
            tick?.Invoke();
            await Task.Delay(5);
        }
    }

    private async Task<Party> PartyAsync(string name, IAdjudicator? adjudicator = null, IChainEventSource? events = null, bool chainEvents = true, TimeProvider? time = null, IChannelStore? store = null, PrivateKey? key = null)
    {
        key ??= PrivateKey.Create();
        Party party;
        if (events is not null)
        {
            store ??= new InMemoryChannelStore();
            party = await Party.CreateWith(name, key, store, await StateChannelClient.CreateAsync(
                Party.FastOptions(), new PrivateKeySigner(key), store, adjudicator ?? _chain.For(key.Address), events, time ?? TimeProvider.System));
        }
        else
        {
            party = await Party.CreateAsync(name, _chain, store, clientTime: time ?? TimeProvider.System, keyOf: key, chainEvents: chainEvents, adjudicator: adjudicator);
        }

        _parties.Add(party);
        return party;
    }

    /// <summary>Opens 1000/1000, Mallory pays Alice 10 × 2, then registers version 0.</summary>
    private async Task<Channel> MalloryRegistersVersionZeroAsync(Party alice, Party mallory)
    {
        Party.Connect(alice, mallory);
        var channel = await alice.Client.OpenChannelAsync(mallory.Address, 1_000, 1_000).WaitAsync(Limit);
        var m = mallory.Client.GetChannel(channel.Id);
        await WaitUntilAsync(() => m.Phase == ChannelPhase.Active);
        for (var i = 0; i < 10; i++)
        {
            await m.PayAsync(2).WaitAsync(Limit);
        }

        await WaitUntilAsync(() => channel.Latest!.State.Version == 10);
        var v0 = await mallory.Store.GetStateAsync(channel.Id, 0);
        await _chain.For(mallory.Address).RegisterAsync(channel.Params, v0!);
        return channel;
    }

    [Fact]
    public async Task Watcher_NoEvents_ReadsNoChannelViews()
    {
        var aliceKey = PrivateKey.Create();
        var counting = new CountingAdjudicator(_chain.For(aliceKey.Address));
        var events = new CountingEventSource(_chain.Events);
        var alice = await PartyAsync("alice", counting, events, key: aliceKey);
        var bob = await PartyAsync("bob");
        Party.Connect(alice, bob);
        for (var i = 0; i < 5; i++)
        {
            await alice.Client.OpenChannelAsync(bob.Address, 100, 100).WaitAsync(Limit);
        }

        using var stop = new CancellationTokenSource();
        var watcher = alice.Client.RunWatcherAsync(stop.Token);
        await WaitUntilAsync(() => events.HeadReads >= 3); // the start-up sweep is done
        var reads = counting.ViewReads;
        var polls = events.HeadReads;
        await WaitUntilAsync(() => events.HeadReads >= polls + 20);
        Assert.Equal(reads, counting.ViewReads); // 20 polls, no events, no disputes: no channel looked at

        // One event: exactly that channel is looked at.
        var channel = alice.Client.Channels.First();
        await _chain.For(bob.Address).DepositAsync(channel.Params, 1, 100, 1);
        await WaitUntilAsync(() => counting.ViewReads > reads);
        polls = events.HeadReads;
        await WaitUntilAsync(() => events.HeadReads >= polls + 5);
        Assert.Equal(reads + 1, counting.ViewReads);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);
    }

    [Fact]
    public async Task Watcher_RegistrationEvent_RefutesAndConcludesAfterDeadline()
    {
        var alice = await PartyAsync("alice");
        var mallory = await PartyAsync("mallory");
        Party.Connect(alice, mallory);
        var channel = await alice.Client.OpenChannelAsync(mallory.Address, 1_000, 1_000).WaitAsync(Limit);
        using var stop = new CancellationTokenSource();
        var watcher = alice.Client.RunWatcherAsync(stop.Token);
        await WaitUntilAsync(() => _chain.Events.GetHeadAsync().AsTask().Result.ConfirmedNumber > 0);

        var m = mallory.Client.GetChannel(channel.Id);
        for (var i = 0; i < 10; i++)
        {
            await m.PayAsync(2).WaitAsync(Limit);
        }

        await WaitUntilAsync(() => channel.Latest!.State.Version == 10);
        var v0 = await mallory.Store.GetStateAsync(channel.Id, 0);
        await _chain.For(mallory.Address).RegisterAsync(channel.Params, v0!);
        await WaitUntilAsync(() => _chain.For(alice.Address).GetChannelAsync(channel.Params).AsTask().Result.RegisteredVersion == 10);
        _blockTime.Advance(channel.Params.ChallengeDuration + TimeSpan.FromSeconds(1));
        await WaitUntilAsync(() => channel.Phase == ChannelPhase.Closed);
        Assert.Equal(new Amount(1_020), _chain.BalanceOf(alice.Address, EthAddress.Zero));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);
    }

    [Fact]
    public async Task Watcher_RestartedAfterDowntimeWithinWindow_CatchesUpFromCursorAndRefutes()
    {
        var store = new InMemoryChannelStore();
        var aliceKey = PrivateKey.Create();
        var alice = await PartyAsync("alice", store: store, key: aliceKey);
        var mallory = await PartyAsync("mallory");

        // The watcher runs a while (its cursor is stored), then Alice goes offline.
        using (var first = new CancellationTokenSource())
        {
            var run = alice.Client.RunWatcherAsync(first.Token);
            await WaitUntilAsync(() => store.GetCursorAsync(StateChannelClient.WatcherCursorName).AsTask().Result is not null);
            await first.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        }

        var cursor = await store.GetCursorAsync(StateChannelClient.WatcherCursorName);
        var channel = await MalloryRegistersVersionZeroAsync(alice, mallory);
        _blockTime.Advance(channel.Params.ChallengeDuration / 2);

        using var stop = new CancellationTokenSource();
        var watcher = alice.Client.RunWatcherAsync(stop.Token);
        await WaitUntilAsync(() => _chain.For(alice.Address).GetChannelAsync(channel.Params).AsTask().Result.RegisteredVersion == 10);
        await WaitUntilAsync(() => store.GetCursorAsync(StateChannelClient.WatcherCursorName).AsTask().Result >= _chain.BlockNumber);
        Assert.True(await store.GetCursorAsync(StateChannelClient.WatcherCursorName) > cursor);
        _blockTime.Advance(channel.Params.ChallengeDuration);
        await WaitUntilAsync(() => channel.Phase == ChannelPhase.Closed);
        Assert.Equal(new Amount(1_020), _chain.BalanceOf(alice.Address, EthAddress.Zero));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);
    }

    [Fact]
    public async Task Watcher_WithoutEventSource_StillRefutesByPolling()
    {
        var alice = await PartyAsync("alice", chainEvents: false);
        var mallory = await PartyAsync("mallory");
        var channel = await MalloryRegistersVersionZeroAsync(alice, mallory);
        using var stop = new CancellationTokenSource();
        var watcher = alice.Client.RunWatcherAsync(stop.Token);
        await WaitUntilAsync(() => _chain.For(alice.Address).GetChannelAsync(channel.Params).AsTask().Result.RegisteredVersion == 10);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);
    }

    [Fact]
    public async Task Watcher_ChainHalted_RaisesChainStaleThenChainFresh()
    {
        // One clock for the chain and the client: the head's age is judged against it.
        var alice = await PartyAsync("alice", events: _chain.Events, time: _blockTime);
        await using var log = new EventLog(alice.Client);
        using var stop = new CancellationTokenSource();
        var watcher = alice.Client.RunWatcherAsync(stop.Token);

        _chain.Halted = true;
        await WaitUntilAsync(() => log.Snapshot().OfType<ChainStale>().Any(), () => _blockTime.Advance(TimeSpan.FromMinutes(1)));
        var stale = log.Snapshot().OfType<ChainStale>().Single();
        Assert.Equal(ChannelId.Zero, stale.ChannelId);
        Assert.Empty(log.Snapshot().OfType<ChainFresh>());

        _chain.Halted = false;
        await WaitUntilAsync(() => log.Snapshot().OfType<ChainFresh>().Any(), () => _blockTime.Advance(TimeSpan.FromMilliseconds(10)));
        Assert.Single(log.Snapshot().OfType<ChainStale>());
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);
    }

    [Fact]
    public async Task Watcher_RpcFailingLongerThanThreshold_RaisesChainStale()
    {
        var alice = await PartyAsync("alice", events: _chain.Events, time: _blockTime);
        await using var log = new EventLog(alice.Client);
        using var stop = new CancellationTokenSource();
        var watcher = alice.Client.RunWatcherAsync(stop.Token);
        _chain.FailEventReads = true;
        await WaitUntilAsync(() => log.Snapshot().OfType<ChainStale>().Any(), () => _blockTime.Advance(TimeSpan.FromSeconds(30)));
        _chain.FailEventReads = false;
        await WaitUntilAsync(() => log.Snapshot().OfType<ChainFresh>().Any(), () => _blockTime.Advance(TimeSpan.FromMilliseconds(10)));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);
    }

    [Fact]
    public async Task Watcher_StaleDuplicatedOrRemovedRegisteredEvents_NoActionBecauseTheViewShowsNoDispute()
    {
        // B13: events are hints; the view decides. A replayed "Registered" for a channel with no dispute changes nothing.
        var fake = new FakeChainEventSource(TimeProvider.System);
        var alice = await PartyAsync("alice", events: fake);
        var bob = await PartyAsync("bob");
        Party.Connect(alice, bob);
        var channel = await alice.Client.OpenChannelAsync(bob.Address, 100, 100).WaitAsync(Limit);
        using var stop = new CancellationTokenSource();
        var watcher = alice.Client.RunWatcherAsync(stop.Token);
        await WaitUntilAsync(() => fake.EventQueries > 0);
        var transactions = _chain.TransactionCount;

        var block = fake.Mine(channel.Id, channel.Id); // duplicated
        fake.Extra.Add(new AdjudicatorEvent(AdjudicatorEventKind.Registered, channel.Id, block.Number, block.Hash, 9, Removed: true));
        fake.Mine(channel.Id);

        // The cursor moves past a window only after the channels its events touch were looked at.
        await WaitUntilAsync(() => alice.Store.GetCursorAsync(StateChannelClient.WatcherCursorName).AsTask().Result >= fake.Head);

        Assert.Equal(transactions, _chain.TransactionCount);
        Assert.Equal(ChannelPhase.Active, channel.Phase);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);
    }

    [Fact]
    public async Task Watcher_StartupLookFailsForAChannel_RetriedUntilItSucceedsAndRefutes()
    {
        var key = PrivateKey.Create();
        var flaky = new CountingAdjudicator(_chain.For(key.Address));
        var options = Party.FastOptions();
        options.ReorgDepth = 1; // the registration below is older than what the event reader re-reads at start
        var alice = await Party.CreateAsync("alice", _chain, options: options, clientTime: TimeProvider.System, keyOf: key, adjudicator: flaky);
        _parties.Add(alice);
        var mallory = await PartyAsync("mallory");
        var channel = await MalloryRegistersVersionZeroAsync(alice, mallory);
        var other = new ChannelParams(mallory.Address, alice.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 5, 5);
        for (var i = 0; i < 3; i++)
        {
            await _chain.For(mallory.Address).DepositAsync(other, 0, new Amount((ulong)i), 1); // unrelated blocks
        }

        flaky.FailViews = 1; // the start-up look at the channel fails
        using var stop = new CancellationTokenSource();
        var watcher = alice.Client.RunWatcherAsync(stop.Token);
        await WaitUntilAsync(() => _chain.For(alice.Address).GetChannelAsync(channel.Params).AsTask().Result.RegisteredVersion == 10);
        Assert.True(flaky.FailViews < 0);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);
    }
}

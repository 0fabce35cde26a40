using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Chain;

/// <summary>The block cursor, reorg handling and stale-head judgement of the chain follower (B13, B15).</summary>
public sealed class ChainFollowerTests
{
    private const string Cursor = "test.block";
    private static readonly TimeSpan Threshold = TimeSpan.FromMinutes(5);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly InMemoryChannelStore _store = new();
    private readonly FakeChainEventSource _source;
    private readonly List<ChannelId> _seen = [];

    public ChainFollowerTests() => _source = new FakeChainEventSource(_time);

    private static ChannelId Id(byte b)
    {
        var bytes = new byte[32];
        bytes[31] = b;
        return ChannelId.FromBytes(bytes);
    }

    private ChainFollower Follower(int reorgDepth = 8, int maxRange = 1000) =>
        new(_source, _store, new ChainFollowerSettings(Cursor, reorgDepth, maxRange, Threshold), _time, NullLogger.Instance);

    private Task PollAsync(ChainFollower follower) => follower.PollAsync(ids =>
    {
        _seen.AddRange(ids);
        return Task.CompletedTask;
    }, CancellationToken.None);

    [Fact]
    public async Task Poll_NewEvents_HandsTheirChannelsAndPersistsTheCursor()
    {
        var follower = Follower();
        await PollAsync(follower); // first run: starts at the confirmed head
        _source.Mine(Id(1));
        _source.Mine(Id(2), Id(1));
        await PollAsync(follower);
        Assert.Equal([Id(1), Id(2)], _seen.Distinct().Order().ToList());
        Assert.Equal(_source.Head, await _store.GetCursorAsync(Cursor));
    }

    [Fact]
    public async Task Start_EventsDuringTheStartupSweep_AreReadByTheFirstPoll()
    {
        _source.Mine();
        _source.Mine();
        var follower = Follower(reorgDepth: 1);
        await follower.StartAsync(CancellationToken.None); // then the caller sweeps every channel ...
        _source.Mine(Id(1)); // ... while this happens
        _source.Mine();
        await PollAsync(follower);
        Assert.Equal([Id(1)], _seen);
    }

    [Fact]
    public async Task Start_NodeDown_FirstPollStartsWithoutMissingAnything()
    {
        var follower = Follower(reorgDepth: 2);
        _source.Fail = true;
        await follower.StartAsync(CancellationToken.None); // tolerated
        _source.Fail = false;
        _source.Mine(Id(1));
        _source.Mine();
        await PollAsync(follower); // first run rewinds by the reorg depth from the confirmed head
        Assert.Equal([Id(1)], _seen);
    }

    [Fact]
    public async Task Poll_LimitsEachQueryToMaxBlockRange()
    {
        var follower = Follower(maxRange: 2);
        await PollAsync(follower);
        for (byte i = 1; i <= 5; i++)
        {
            _source.Mine(Id(i));
        }

        await PollAsync(follower);
        Assert.Equal(5, _seen.Distinct().Count());
        Assert.True(_source.EventQueries >= 3, $"{_source.EventQueries} queries");
    }

    [Fact]
    public async Task Poll_ProcessedBlockReplacedByReorg_RewindsToCommonAncestorAndSeesTheNewEvents()
    {
        var follower = Follower();
        await PollAsync(follower);
        _source.Mine(Id(1));
        _source.Mine(Id(2));
        _source.Mine(Id(3));
        await PollAsync(follower);
        _seen.Clear();

        // Blocks 2 and 3 are replaced; the new block 3 holds an event the old chain did not have.
        _source.Reorg(2);
        _source.Mine();
        _source.Mine(Id(4));
        await PollAsync(follower);

        Assert.Contains(Id(4), _seen);
        Assert.DoesNotContain(Id(1), _seen); // not re-read: block 1 is the common ancestor
        Assert.Equal(_source.Head, await _store.GetCursorAsync(Cursor));
    }

    [Fact]
    public async Task Poll_ReorgToAShorterChain_RewindsAndWaitsForTheNewBlocks()
    {
        var follower = Follower();
        await PollAsync(follower);
        _source.Mine(Id(1));
        _source.Mine(Id(2));
        await PollAsync(follower);
        _source.Reorg(2);
        await PollAsync(follower); // the old head no longer exists
        Assert.Equal(0UL, await _store.GetCursorAsync(Cursor));
        _seen.Clear();
        _source.Mine(Id(5));
        await PollAsync(follower);
        Assert.Equal([Id(5)], _seen);
    }

    [Fact]
    public async Task Poll_AfterRestart_RereadsReorgDepthBlocks()
    {
        await PollAsync(Follower());
        for (byte i = 1; i <= 6; i++)
        {
            _source.Mine(Id(i));
        }

        await PollAsync(Follower());
        _seen.Clear();

        // A new follower (a restart) knows no hashes: it re-reads the last 3 blocks, which is harmless.
        await PollAsync(Follower(reorgDepth: 3));
        Assert.Equal([Id(4), Id(5), Id(6)], _seen.Order().ToList());
    }

    [Fact]
    public async Task Poll_WindowReplacedWhileBeingRead_DoesNotMoveTheCursor()
    {
        var follower = Follower();
        await PollAsync(follower);
        _source.Mine(Id(1));
        _source.OnGetEvents = () =>
        {
            _source.OnGetEvents = null;
            _source.Reorg(1);
            _source.Mine(Id(2));
        };
        await PollAsync(follower);
        Assert.Equal(0UL, await _store.GetCursorAsync(Cursor) ?? 0);
        Assert.Empty(_seen);
        await PollAsync(follower);
        Assert.Equal([Id(2)], _seen);
    }

    [Fact]
    public async Task Poll_EventOutsideTheAskedRange_ThrowsChainRpcFailureAndKeepsTheCursor()
    {
        var follower = Follower();
        await PollAsync(follower);
        _source.Mine(Id(1));
        _source.Extra.Add(new AdjudicatorEvent(AdjudicatorEventKind.Deposited, Id(9), 999, Hash32.CreateRandom(), 0));
        var e = await Assert.ThrowsAsync<StateChannelException>(() => PollAsync(follower));
        Assert.Equal(ErrorCode.ChainRpcFailure, e.Code);
        Assert.Empty(_seen);
        Assert.Equal(0UL, await _store.GetCursorAsync(Cursor) ?? 0);
    }

    [Fact]
    public async Task Poll_RemovedLog_IsAReasonToLookAtItsChannel()
    {
        var follower = Follower();
        await PollAsync(follower);
        var block = _source.Mine();
        _source.Extra.Add(new AdjudicatorEvent(AdjudicatorEventKind.Deposited, Id(7), block.Number, Hash32.CreateRandom(), 0, Removed: true));
        await PollAsync(follower);
        Assert.Equal([Id(7)], _seen);
    }

    [Fact]
    public async Task Poll_HeadOlderThanThreshold_RaisesStaleThenFreshOnce()
    {
        var follower = Follower();
        var changes = new List<bool>();
        follower.StaleChanged += (stale, _) => changes.Add(stale);
        await PollAsync(follower);
        _time.Advance(Threshold + TimeSpan.FromSeconds(1)); // no new block for longer than the threshold
        await PollAsync(follower);
        await PollAsync(follower);
        Assert.True(follower.IsStale);
        _source.Mine();
        await PollAsync(follower);
        Assert.Equal([true, false], changes);
    }

    [Fact]
    public async Task Poll_RpcFailingForThreshold_RaisesStale()
    {
        var follower = Follower();
        var changes = new List<bool>();
        follower.StaleChanged += (stale, _) => changes.Add(stale);
        await PollAsync(follower);
        _source.Fail = true;
        await Assert.ThrowsAsync<StateChannelException>(() => PollAsync(follower));
        Assert.False(follower.IsStale);
        _time.Advance(Threshold);
        await Assert.ThrowsAsync<StateChannelException>(() => PollAsync(follower));
        Assert.True(follower.IsStale);
        _source.Fail = false;
        _source.Mine();
        await PollAsync(follower);
        Assert.Equal([true, false], changes);
    }

    [Fact]
    public async Task Poll_CancelledBefore_Throws()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var source = new SimulatedChain(new Eip712Domain(1, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3"))).Events;
        var follower = new ChainFollower(source, _store, new ChainFollowerSettings(Cursor, 8, 100, Threshold), _time, NullLogger.Instance);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => follower.PollAsync(_ => Task.CompletedTask, cts.Token));
    }
}

using StateChannels.Testing;
namespace StateChannels.Tests.Support;

/// <summary>An adjudicator that counts the channel views read through it (to prove the watcher reads only what events point at).</summary>
internal sealed class CountingAdjudicator(IAdjudicator inner) : DelegatingAdjudicator(inner)
{
    private int _views;

    public int ViewReads => Volatile.Read(ref _views);

    /// <summary>How many of the next view reads fail with <see cref="ErrorCode.ChainRpcFailure"/> (a flaky node).</summary>
    public int FailViews;

    /// <summary>How many of the next (successful) view reads show no registration and no conclusion (a node lagging behind the chain).</summary>
    public int LaggingViews;

    /// <summary>When set, each view read (already counted) waits for this task before answering: a test acts while a look is under way.</summary>
    public Task? HoldViews { get; set; }

    public override async ValueTask<OnChainChannel> GetChannelAsync(ChannelParams channel, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _views);
        if (HoldViews is { } hold)
        {
            await hold.WaitAsync(cancellationToken);
        }

        if (Interlocked.Decrement(ref FailViews) >= 0)
        {
            throw new StateChannelException(ErrorCode.ChainRpcFailure, "flaky node");
        }

        var view = await Inner.GetChannelAsync(channel, cancellationToken);
        return Interlocked.Decrement(ref LaggingViews) >= 0 ? view with { RegisteredVersion = null, Deadline = null, Concluded = false } : view;
    }
}

/// <summary>An event source that counts head reads (each is one watcher poll).</summary>
internal sealed class CountingEventSource(IChainEventSource inner) : IChainEventSource
{
    private int _heads;

    public int HeadReads => Volatile.Read(ref _heads);

    public ValueTask<ChainHead> GetHeadAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _heads);
        return inner.GetHeadAsync(cancellationToken);
    }

    public ValueTask<ChainBlock?> GetBlockAsync(ulong number, CancellationToken cancellationToken = default) =>
        inner.GetBlockAsync(number, cancellationToken);

    public ValueTask<IReadOnlyList<AdjudicatorEvent>> GetEventsAsync(ulong fromBlock, ulong toBlock, CancellationToken cancellationToken = default) =>
        inner.GetEventsAsync(fromBlock, toBlock, cancellationToken);
}

/// <summary>Collects a client's events in the background.</summary>
internal sealed class EventLog : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ChannelEvent> _events = [];
    private readonly Task _run;

    public EventLog(StateChannelClient client)
    {
        var enumerator = client.EventsAsync(_stop.Token).GetAsyncEnumerator(_stop.Token);
        var first = enumerator.MoveNextAsync(); // subscribes now, before anything happens
        _run = PumpAsync(enumerator, first);
    }

    public IReadOnlyList<ChannelEvent> Snapshot()
    {
        lock (_events)
        {
            return [.. _events];
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _run;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task PumpAsync(IAsyncEnumerator<ChannelEvent> enumerator, ValueTask<bool> first)
    {
        await using (enumerator)
        {
            var next = first;
            while (await next)
            {
                lock (_events)
                {
                    _events.Add(enumerator.Current);
                }

                next = enumerator.MoveNextAsync();
            }
        }
    }
}

namespace StateChannels.Tests.Support;

/// <summary>A hand-written chain of blocks and adjudicator events with reorgs, for follower tests. Thread-safe.</summary>
internal sealed class FakeChainEventSource(TimeProvider time, int confirmationDepth = 1) : IChainEventSource
{
    private readonly object _gate = new();
    private readonly List<ChainBlock> _blocks = [new ChainBlock(0, Hash32.CreateRandom(), Hash32.Zero, time.GetUtcNow())];
    private readonly Dictionary<Hash32, List<AdjudicatorEvent>> _events = [];

    /// <summary>Events to add to the next answer of <see cref="GetEventsAsync"/> (malformed-answer tests).</summary>
    public List<AdjudicatorEvent> Extra { get; } = [];

    public bool Fail { get; set; }

    /// <summary>Called between the two header reads of a window (to replace blocks during a query).</summary>
    public Action? OnGetEvents { get; set; }

    public int EventQueries { get; private set; }

    public ulong Head
    {
        get
        {
            lock (_gate)
            {
                return _blocks[^1].Number;
            }
        }
    }

    /// <summary>Mines one block holding events for the given channels.</summary>
    public ChainBlock Mine(params ChannelId[] channels)
    {
        lock (_gate)
        {
            var parent = _blocks[^1];
            var block = new ChainBlock(parent.Number + 1, Hash32.CreateRandom(), parent.Hash, time.GetUtcNow());
            _blocks.Add(block);
            _events[block.Hash] = channels
                .Select((id, i) => new AdjudicatorEvent(AdjudicatorEventKind.Registered, id, block.Number, block.Hash, (ulong)i))
                .ToList();
            return block;
        }
    }

    /// <summary>Drops the newest <paramref name="depth"/> blocks (their events with them); mine new ones after.</summary>
    public void Reorg(int depth)
    {
        lock (_gate)
        {
            _blocks.RemoveRange(_blocks.Count - depth, depth);
        }
    }

    public ValueTask<ChainHead> GetHeadAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Check();
            var head = _blocks[^1];
            var confirmed = head.Number + 1 >= (ulong)confirmationDepth ? head.Number + 1 - (ulong)confirmationDepth : 0;
            return ValueTask.FromResult(new ChainHead(head, confirmed));
        }
    }

    public ValueTask<ChainBlock?> GetBlockAsync(ulong number, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Check();
            return ValueTask.FromResult(number < (ulong)_blocks.Count ? _blocks[(int)number] : null);
        }
    }

    public ValueTask<IReadOnlyList<AdjudicatorEvent>> GetEventsAsync(ulong fromBlock, ulong toBlock, CancellationToken cancellationToken = default)
    {
        List<AdjudicatorEvent> result;
        lock (_gate)
        {
            Check();
            EventQueries++;
            result = _blocks.Where(b => b.Number >= fromBlock && b.Number <= toBlock)
                .SelectMany(b => _events.GetValueOrDefault(b.Hash) ?? [])
                .Concat(Extra)
                .ToList();
            Extra.Clear();
        }

        OnGetEvents?.Invoke();
        return ValueTask.FromResult<IReadOnlyList<AdjudicatorEvent>>(result);
    }

    private void Check()
    {
        if (Fail)
        {
            throw new StateChannelException(ErrorCode.ChainRpcFailure, "fake node down");
        }
    }
}

using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// The responder's merged write: a Confirm(v) with the Propose(v+1) already waiting behind it costs
/// one durable write (the fully signed v and the intent for v+1 together), not two; without a Propose
/// behind it the Confirm is stored at once. Whatever becomes of the Propose, v is stored before the
/// step ends and reported only once durable. Alice is played here by raw protocol messages, so the
/// order in which Bob receives them is the test's: Bob's write of the intent for v is held until the
/// Confirm(v) and the messages behind it are in his inbox (no timing involved).
/// </summary>
public sealed class MergedWriteTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly SimulatedChain _chain = new(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
    private readonly PrivateKey _alice = PrivateKey.Create();
    private readonly RecordingStore _store = new(new InMemoryChannelStore());
    private Party _bob = null!;
    private EventLog _events = null!;
    private InMemoryConnection _wire = null!;
    private ChannelParams _params = null!;
    private ChannelId _id;

    public async Task InitializeAsync()
    {
        _bob = await Party.CreateAsync("bob", _chain, _store);
        _events = new EventLog(_bob.Client);
        var pair = InMemoryTransport.CreatePair(_alice.Address, _bob.Address);
        _wire = pair.First;
        _bob.Serve(pair.Second);

        _params = new ChannelParams(_alice.Address, _bob.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 100, 100);
        _id = Eip712.ComputeChannelId(_chain.Domain, _params);
        await SendAsync(new OpenRequest(_params, _chain.Domain));
        var v0 = ChannelState.Opening(_id, _params);
        await SendAsync(new ProposeUpdate(v0, 0));
        await ReceiveAsync<AcceptUpdate>();
        await SendAsync(new ConfirmUpdate(_id, 0, Sign(v0)));
        await _chain.For(_alice.Address).DepositAsync(_params, 0, 0, 100);
        await WaitUntilAsync(() => Bob.Phase == ChannelPhase.Active);

        // Version 1 by the book, so that version 2 is a plain payment above a fully signed state.
        var v1 = Pay(v0, 10);
        await SendAsync(new ProposeUpdate(v1, 0));
        await ReceiveAsync<AcceptUpdate>();
        await SendAsync(new ConfirmUpdate(_id, 1, Sign(v1)));
        await WaitUntilAsync(() => Bob.Latest?.State.Version == 1);
    }

    public async Task DisposeAsync()
    {
        _store.ReleaseAll();
        await _events.DisposeAsync();
        await _bob.DisposeAsync();
    }

    private Channel Bob => _bob.Client.GetChannel(_id);

    private ChannelState V1 => Bob.Latest!.State;

    [Fact]
    public async Task Confirm_WithProposeWaitingBehindIt_OneWriteStoresTheStateAndTheNextIntent()
    {
        var v2 = Pay(V1, 5);
        var v3 = Pay(v2, 7);
        var writesBefore = _store.Batches.Count;

        await QueueBehindHeldIntentAsync(v2, new ConfirmUpdate(_id, 2, Sign(v2)), new ProposeUpdate(v3, 2));
        var accept2 = await ReceiveAsync<AcceptUpdate>();
        var accept3 = await ReceiveAsync<AcceptUpdate>();
        Assert.Equal(2UL, accept2.Version);
        Assert.Equal(3UL, accept3.Version);
        Assert.True(Ecdsa.Verify(Eip712.HashState(_chain.Domain, v3), accept3.Signature, _bob.Address));

        // Bob's writes for this: the intent for v2, then ONE batch with the fully signed v2 and the intent for v3.
        var batches = _store.Batches.Skip(writesBefore).ToList();
        Assert.Equal(2, batches.Count);
        var merged = Assert.Single(batches[1].Channels);
        Assert.Equal(2UL, merged.Latest!.State.Version);
        Assert.Equal(3UL, merged.LastSigned!.State.Version);
        Assert.Equal(v2, Assert.Single(batches[1].History).State);

        // The payment of v2 was reported, once, after that write; v3 is not yet (no Confirm).
        Assert.Equal(new Amount(115), Bob.MyBalance);
        await WaitUntilAsync(() => Received().Contains(2UL));
        Assert.DoesNotContain(3UL, Received());

        // Confirm(v3) with nothing behind it: stored at once, alone.
        await SendAsync(new ConfirmUpdate(_id, 3, Sign(v3)));
        await WaitUntilAsync(() => Bob.Latest?.State.Version == 3);
        Assert.Equal(writesBefore + 3, _store.Batches.Count);
        var stored = await _store.GetChannelAsync(_id);
        Assert.Equal(3UL, stored!.Latest!.State.Version);
        Assert.Equal(new Amount(122), Bob.MyBalance);
        await WaitUntilAsync(() => Received().Contains(3UL));
        Assert.Equal([1UL, 2UL, 3UL], Received());
    }

    [Fact]
    public async Task Confirm_WithNothingBehindIt_StoredAtOnceAndTheNextProposeWritesAgain()
    {
        var v2 = Pay(V1, 5);
        var writesBefore = _store.Batches.Count;
        await SendAsync(new ProposeUpdate(v2, 1));
        await ReceiveAsync<AcceptUpdate>();
        await SendAsync(new ConfirmUpdate(_id, 2, Sign(v2)));
        await WaitUntilAsync(() => Bob.Latest?.State.Version == 2);

        // Durable before it shows: the store holds v2, in a batch of its own.
        Assert.Equal(writesBefore + 2, _store.Batches.Count);
        Assert.Equal(2UL, (await _store.GetChannelAsync(_id))!.Latest!.State.Version);
        Assert.Equal(v2, Assert.Single(_store.Batches[^1].History).State);

        var v3 = Pay(v2, 7);
        await SendAsync(new ProposeUpdate(v3, 2));
        Assert.Equal(3UL, (await ReceiveAsync<AcceptUpdate>()).Version);
        Assert.Equal(writesBefore + 3, _store.Batches.Count);
        Assert.Empty(_store.Batches[^1].History);
        Assert.Equal(3UL, Assert.Single(_store.Batches[^1].Channels).LastSigned!.State.Version);
    }

    [Fact]
    public async Task Confirm_WithNonProposeBehindIt_StoredAtOnce()
    {
        // A Reject of ours behind the Confirm: not a Propose, so nothing to merge with.
        var v2 = Pay(V1, 5);
        var writesBefore = _store.Batches.Count;
        await QueueBehindHeldIntentAsync(v2, new ConfirmUpdate(_id, 2, Sign(v2)), new RejectUpdate(_id, 7, ErrorCode.ProposalAbandoned, "not ours"));
        Assert.Equal(2UL, (await ReceiveAsync<AcceptUpdate>()).Version);
        await WaitUntilAsync(() => Bob.Latest?.State.Version == 2);
        Assert.Equal(writesBefore + 2, _store.Batches.Count);
        Assert.Equal(v2, Assert.Single(_store.Batches[^1].History).State);
    }

    [Fact]
    public async Task Confirm_WithInvalidProposeBehindIt_ProposeRejectedAndTheStateStillStored()
    {
        var v2 = Pay(V1, 5);
        var greedy = v2 with { Version = 3, Balance0 = v2.Balance0 + 5, Balance1 = v2.Balance1 - 5 }; // money toward Alice
        var writesBefore = _store.Batches.Count;

        await QueueBehindHeldIntentAsync(v2, new ConfirmUpdate(_id, 2, Sign(v2)), new ProposeUpdate(greedy, 2));
        Assert.Equal(2UL, (await ReceiveAsync<AcceptUpdate>()).Version);
        var reject = await ReceiveAsync<RejectUpdate>();
        Assert.Equal(3UL, reject.Version);
        Assert.Equal(ErrorCode.InvalidTransition, reject.Code);

        // v2 was stored (alone, before the Reject left), and reported; nothing signed at v3.
        Assert.Equal(writesBefore + 2, _store.Batches.Count);
        Assert.Equal(v2, Assert.Single(_store.Batches[^1].History).State);
        var stored = await _store.GetChannelAsync(_id);
        Assert.Equal(2UL, stored!.Latest!.State.Version);
        Assert.Equal(2UL, stored.LastSigned!.State.Version);
        Assert.Equal(2UL, Bob.Latest!.State.Version);
        await WaitUntilAsync(() => Received().Contains(2UL));

        // The channel goes on: a valid v3 is signed and stored.
        var v3 = Pay(v2, 1);
        await SendAsync(new ProposeUpdate(v3, 2));
        Assert.Equal(3UL, (await ReceiveAsync<AcceptUpdate>()).Version);
        await SendAsync(new ConfirmUpdate(_id, 3, Sign(v3)));
        await WaitUntilAsync(() => Bob.Latest?.State.Version == 3);
    }

    [Fact]
    public async Task Confirm_MergedWriteFails_StateStoredAloneNoAcceptAndConnectionDropped()
    {
        var v2 = Pay(V1, 5);
        var v3 = Pay(v2, 7);
        var writesBefore = _store.Batches.Count;
        _store.FailWrite(1); // the merged one (the next, held, is the intent for v2)

        await QueueBehindHeldIntentAsync(v2, new ConfirmUpdate(_id, 2, Sign(v2)), new ProposeUpdate(v3, 2));
        Assert.Equal(2UL, (await ReceiveAsync<AcceptUpdate>()).Version);

        // No signature on v3 leaves (its intent is not durable); Bob hangs up.
        await AssertHungUpAsync();

        // v2 was stored alone after the failed merged write, and reported; no intent for v3.
        Assert.Equal(writesBefore + 2, _store.Batches.Count);
        var stored = await _store.GetChannelAsync(_id);
        Assert.Equal(2UL, stored!.Latest!.State.Version);
        Assert.Equal(2UL, stored.LastSigned!.State.Version);
        Assert.Equal(2UL, Bob.Latest!.State.Version);
        await WaitUntilAsync(() => Received().Contains(2UL));
    }

    [Fact]
    public async Task Confirm_MergedWriteAndLoneWriteFail_NothingAdoptedNothingReported()
    {
        var v2 = Pay(V1, 5);
        var v3 = Pay(v2, 7);
        var writesBefore = _store.Batches.Count;
        _store.FailWrite(1);
        _store.FailWrite(2);

        await QueueBehindHeldIntentAsync(v2, new ConfirmUpdate(_id, 2, Sign(v2)), new ProposeUpdate(v3, 2));
        Assert.Equal(2UL, (await ReceiveAsync<AcceptUpdate>()).Version);
        await AssertHungUpAsync();

        // The store holds v1 and the intent for v2, and so does Bob's record: nothing ran ahead.
        Assert.Equal(writesBefore + 1, _store.Batches.Count);
        var stored = await _store.GetChannelAsync(_id);
        Assert.Equal(1UL, stored!.Latest!.State.Version);
        Assert.Equal(2UL, stored.LastSigned!.State.Version);
        Assert.Equal(1UL, Bob.Latest!.State.Version);
        Assert.Equal(new Amount(110), Bob.MyBalance);
        await _bob.DisconnectAllAsync();
        Assert.DoesNotContain(2UL, Received());
    }

    /// <summary>
    /// Sends Propose(<paramref name="v"/>) and holds Bob's write of its intent; sends
    /// <paramref name="behind"/>; proves Bob's receive loop has queued them (it answers a repeated
    /// OpenRequest in line, after them); then lets the write go.
    /// </summary>
    private async Task QueueBehindHeldIntentAsync(ChannelState v, params ProtocolMessage[] behind)
    {
        var held = _store.HoldNextWrite();
        await SendAsync(new ProposeUpdate(v, v.Version - 1));
        await held.Reached.Task.WaitAsync(Limit);
        foreach (var m in behind)
        {
            await SendAsync(m);
        }

        await SendAsync(new OpenRequest(_params, _chain.Domain));
        var refusal = await ReceiveAsync<RejectUpdate>();
        Assert.Equal(0UL, refusal.Version); // "channel exists"
        held.Release.TrySetResult();
    }

    private async Task AssertHungUpAsync()
    {
        using var cts = new CancellationTokenSource(Limit);
        while (await _wire.ReceiveAsync(cts.Token) is { } frame)
        {
            Assert.IsNotType<AcceptUpdate>(MessageCodec.Decode(frame.Span));
        }
    }

    private List<ulong> Received() =>
        [.. _events.Snapshot().OfType<PaymentReceived>().Where(e => e.ChannelId == _id).Select(e => e.Version)];

    private static ChannelState Pay(ChannelState s, ulong amount) =>
        s with { Version = s.Version + 1, Balance0 = s.Balance0 - amount, Balance1 = s.Balance1 + amount };

    private Signature Sign(ChannelState s) => _alice.Sign(Eip712.HashState(_chain.Domain, s));

    private Task SendAsync(ProtocolMessage m) => _wire.SendAsync(MessageCodec.Encode(m)).AsTask();

    private async Task<T> ReceiveAsync<T>()
        where T : ProtocolMessage
    {
        using var cts = new CancellationTokenSource(Limit);
        while (true)
        {
            var frame = await _wire.ReceiveAsync(cts.Token) ?? throw new InvalidOperationException("connection closed");
            if (MessageCodec.Decode(frame.Span) is T t)
            {
                return t;
            }
        }
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

    /// <summary>A store that records every successful batch, can hold the next write, and can fail chosen coming writes.</summary>
    private sealed class RecordingStore(IChannelStore inner) : IChannelStore
    {
        private readonly object _gate = new();
        private readonly List<StoreBatch> _batches = [];
        private readonly HashSet<int> _fail = [];
        private int _attempts;
        private Hold? _hold;

        public IReadOnlyList<StoreBatch> Batches
        {
            get
            {
                lock (_gate)
                {
                    return [.. _batches];
                }
            }
        }

        public Hold HoldNextWrite()
        {
            var hold = new Hold();
            lock (_gate)
            {
                _hold = hold;
            }

            return hold;
        }

        /// <summary>Fails a coming write: <paramref name="later"/> = 0 the next one, 1 the one after it, and so on.</summary>
        public void FailWrite(int later)
        {
            lock (_gate)
            {
                _fail.Add(_attempts + later);
            }
        }

        public void ReleaseAll()
        {
            lock (_gate)
            {
                _hold?.Release.TrySetResult();
            }
        }

        public async ValueTask WriteAsync(StoreBatch batch, CancellationToken cancellationToken = default)
        {
            Hold? hold;
            bool fail;
            lock (_gate)
            {
                hold = _hold;
                _hold = null;
                fail = _fail.Remove(_attempts++);
            }

            if (hold is not null)
            {
                hold.Reached.TrySetResult();
                await hold.Release.Task.WaitAsync(cancellationToken);
            }

            if (fail)
            {
                throw new StateChannelException(ErrorCode.StorageFailure, "injected write failure");
            }

            await inner.WriteAsync(batch, cancellationToken);
            lock (_gate)
            {
                _batches.Add(batch);
            }
        }

        public ValueTask<ChannelRecord?> GetChannelAsync(ChannelId id, CancellationToken cancellationToken = default) => inner.GetChannelAsync(id, cancellationToken);

        public IAsyncEnumerable<ChannelRecord> GetChannelsAsync(CancellationToken cancellationToken = default) => inner.GetChannelsAsync(cancellationToken);

        public ValueTask<SignedState?> GetStateAsync(ChannelId id, ulong version, CancellationToken cancellationToken = default) => inner.GetStateAsync(id, version, cancellationToken);

        public IAsyncEnumerable<SignedState> GetHistoryAsync(ChannelId id, ulong fromVersion = 0, CancellationToken cancellationToken = default) => inner.GetHistoryAsync(id, fromVersion, cancellationToken);

        public ValueTask PruneHistoryAsync(ChannelId id, ulong belowVersion, CancellationToken cancellationToken = default) => inner.PruneHistoryAsync(id, belowVersion, cancellationToken);

        public ValueTask<ulong?> GetCursorAsync(string name, CancellationToken cancellationToken = default) => inner.GetCursorAsync(name, cancellationToken);

        public ValueTask SetCursorAsync(string name, ulong value, CancellationToken cancellationToken = default) => inner.SetCursorAsync(name, value, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();

        public sealed class Hold
        {
            public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}

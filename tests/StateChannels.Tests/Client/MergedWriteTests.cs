using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// The responder's merged write: a Confirm(v) with the Propose(v+1) already waiting behind it costs
/// one durable write (the fully signed v and the intent for v+1 together), not two; without a Propose
/// behind it the Confirm is stored at once. Whatever becomes of the Propose, v is stored before the
/// step ends and reported only once durable; a forged Confirm stores and sends nothing. Alice is
/// played by raw protocol messages, so the order in which Bob receives them is the test's: Bob's
/// write of the intent for v is held until the Confirm(v) and the messages behind it are in his
/// inbox (no timing involved). Run twice (derived classes): with the managed secp256k1, where the
/// Confirm's signature is checked on another core while the Propose is handled, and with another
/// implementation, where it is checked first.
/// </summary>
public abstract class MergedWriteTests : IAsyncLifetime
{
    private readonly RecordingStore _store = new(new InMemoryChannelStore());
    private RawPeer _peer = null!;

    public async Task InitializeAsync() => _peer = await RawPeer.OpenAsync(_store, Options());

    public async Task DisposeAsync()
    {
        _store.ReleaseAll();
        await _peer.DisposeAsync();
    }

    /// <summary>Bob's options.</summary>
    private protected abstract StateChannelClientOptions Options();

    private Channel Bob => _peer.Bob;

    private ChannelId Id => _peer.Id;

    private ChannelState V1 => Bob.Latest!.State;

    [Fact]
    public async Task Confirm_WithProposeWaitingBehindIt_OneWriteStoresTheStateAndTheNextIntent()
    {
        var v2 = RawPeer.Pay(V1, 5);
        var v3 = RawPeer.Pay(v2, 7);
        var writesBefore = _store.Batches.Count;

        await QueueBehindHeldIntentAsync(v2, new ConfirmUpdate(Id, 2, _peer.Sign(v2)), new ProposeUpdate(v3, 2));
        var accept2 = await _peer.ReceiveAsync<AcceptUpdate>();
        var accept3 = await _peer.ReceiveAsync<AcceptUpdate>();
        Assert.Equal(2UL, accept2.Version);
        Assert.Equal(3UL, accept3.Version);
        Assert.True(Ecdsa.Verify(Eip712.HashState(_peer.Chain.Domain, v3), accept3.Signature, _peer.BobParty.Address));

        // Bob's writes for this: the intent for v2, then ONE batch with the fully signed v2 and the intent for v3.
        var batches = _store.Batches.Skip(writesBefore).ToList();
        Assert.Equal(2, batches.Count);
        var merged = Assert.Single(batches[1].Channels);
        Assert.Equal(2UL, merged.Latest!.State.Version);
        Assert.Equal(3UL, merged.LastSigned!.State.Version);
        Assert.Equal(v2, Assert.Single(batches[1].History).State);

        // The payment of v2 was reported, once, after that write; v3 is not yet (no Confirm).
        Assert.Equal(new Amount(115), Bob.MyBalance);
        await RawPeer.WaitUntilAsync(() => _peer.Received().Contains(2UL));
        Assert.DoesNotContain(3UL, _peer.Received());

        // Confirm(v3) with nothing behind it: stored at once, alone.
        await _peer.SendAsync(new ConfirmUpdate(Id, 3, _peer.Sign(v3)));
        await RawPeer.WaitUntilAsync(() => Bob.Latest?.State.Version == 3);
        Assert.Equal(writesBefore + 3, _store.Batches.Count);
        var stored = await _store.GetChannelAsync(Id);
        Assert.Equal(3UL, stored!.Latest!.State.Version);
        Assert.Equal(new Amount(122), Bob.MyBalance);
        await RawPeer.WaitUntilAsync(() => _peer.Received().Contains(3UL));
        Assert.Equal([1UL, 2UL, 3UL], _peer.Received());
    }

    [Fact]
    public async Task Confirm_WithNothingBehindIt_StoredAtOnceAndTheNextProposeWritesAgain()
    {
        var v2 = RawPeer.Pay(V1, 5);
        var writesBefore = _store.Batches.Count;
        await _peer.SendAsync(new ProposeUpdate(v2, 1));
        await _peer.ReceiveAsync<AcceptUpdate>();
        await _peer.SendAsync(new ConfirmUpdate(Id, 2, _peer.Sign(v2)));
        await RawPeer.WaitUntilAsync(() => Bob.Latest?.State.Version == 2);

        // Durable before it shows: the store holds v2, in a batch of its own.
        Assert.Equal(writesBefore + 2, _store.Batches.Count);
        Assert.Equal(2UL, (await _store.GetChannelAsync(Id))!.Latest!.State.Version);
        Assert.Equal(v2, Assert.Single(_store.Batches[^1].History).State);

        var v3 = RawPeer.Pay(v2, 7);
        await _peer.SendAsync(new ProposeUpdate(v3, 2));
        Assert.Equal(3UL, (await _peer.ReceiveAsync<AcceptUpdate>()).Version);
        Assert.Equal(writesBefore + 3, _store.Batches.Count);
        Assert.Empty(_store.Batches[^1].History);
        Assert.Equal(3UL, Assert.Single(_store.Batches[^1].Channels).LastSigned!.State.Version);
    }

    [Fact]
    public async Task Confirm_WithProposeBehindIt_WhileWeHavePaymentsQueued_NotMerged_OurProposalMeetsTheirsInTheTieBreak()
    {
        // Bob pays while he waits for Alice's Confirm(v2); Alice's Propose(v3) is already waiting
        // behind it. Taking it up with the Confirm (merged write) would answer Alice first every
        // time and starve Bob's payments; instead Bob stores v2 alone and proposes v3 himself.
        var v2 = RawPeer.Pay(V1, 5);
        var v3 = RawPeer.Pay(v2, 7);
        var held = _store.HoldNextWrite();
        await _peer.SendAsync(new ProposeUpdate(v2, 1));
        await held.Reached.Task.WaitAsync(RawPeer.Limit);
        var payment = Bob.PayAsync(new Amount(3)); // queued: Bob awaits the Confirm of what he signed
        await _peer.SendAsync(new ConfirmUpdate(Id, 2, _peer.Sign(v2)));
        await _peer.SendAsync(new ProposeUpdate(v3, 2));
        held.Release.TrySetResult();

        // Bob's first message about version 3 is his own proposal, carrying his payment.
        ProtocolMessage first = await _peer.ReceiveAsync(m => About(m) == 3);
        var ours = Assert.IsType<ProposeUpdate>(first);
        Assert.Equal(v2.Balance1 - new Amount(3), ours.State.Balance1);
        Assert.Equal(2UL, (await _store.GetChannelAsync(Id))!.Latest!.State.Version);
        Assert.False(payment.IsFaulted);
    }

    /// <summary>The version a message is about (a Propose of it, an Accept, Confirm or Reject of it).</summary>
    private static ulong? About(ProtocolMessage message) => message switch
    {
        ProposeUpdate m => m.State.Version,
        AcceptUpdate m => m.Version,
        ConfirmUpdate m => m.Version,
        RejectUpdate m => m.Version,
        _ => null,
    };

    [Fact]
    public async Task Confirm_WithNonProposeBehindIt_StoredAtOnce()
    {
        // A Reject of ours behind the Confirm: not a Propose, so nothing to merge with.
        var v2 = RawPeer.Pay(V1, 5);
        var writesBefore = _store.Batches.Count;
        await QueueBehindHeldIntentAsync(v2, new ConfirmUpdate(Id, 2, _peer.Sign(v2)), new RejectUpdate(Id, 7, ErrorCode.ProposalAbandoned, "not ours"));
        Assert.Equal(2UL, (await _peer.ReceiveAsync<AcceptUpdate>()).Version);
        await RawPeer.WaitUntilAsync(() => Bob.Latest?.State.Version == 2);
        Assert.Equal(writesBefore + 2, _store.Batches.Count);
        Assert.Equal(v2, Assert.Single(_store.Batches[^1].History).State);
    }

    [Fact]
    public async Task Confirm_WithInvalidProposeBehindIt_ProposeRejectedAndTheStateStillStored()
    {
        var v2 = RawPeer.Pay(V1, 5);
        var greedy = v2 with { Version = 3, Balance0 = v2.Balance0 + 5, Balance1 = v2.Balance1 - 5 }; // money toward Alice
        var writesBefore = _store.Batches.Count;

        await QueueBehindHeldIntentAsync(v2, new ConfirmUpdate(Id, 2, _peer.Sign(v2)), new ProposeUpdate(greedy, 2));
        Assert.Equal(2UL, (await _peer.ReceiveAsync<AcceptUpdate>()).Version);
        var reject = await _peer.ReceiveAsync<RejectUpdate>();
        Assert.Equal(3UL, reject.Version);
        Assert.Equal(ErrorCode.InvalidTransition, reject.Code);

        // v2 was stored (alone, before the Reject left), and reported; nothing signed at v3.
        Assert.Equal(writesBefore + 2, _store.Batches.Count);
        Assert.Equal(v2, Assert.Single(_store.Batches[^1].History).State);
        var stored = await _store.GetChannelAsync(Id);
        Assert.Equal(2UL, stored!.Latest!.State.Version);
        Assert.Equal(2UL, stored.LastSigned!.State.Version);
        Assert.Equal(2UL, Bob.Latest!.State.Version);
        await RawPeer.WaitUntilAsync(() => _peer.Received().Contains(2UL));

        // The channel goes on: a valid v3 is signed and stored.
        var v3 = RawPeer.Pay(v2, 1);
        await _peer.SendAsync(new ProposeUpdate(v3, 2));
        Assert.Equal(3UL, (await _peer.ReceiveAsync<AcceptUpdate>()).Version);
        await _peer.SendAsync(new ConfirmUpdate(Id, 3, _peer.Sign(v3)));
        await RawPeer.WaitUntilAsync(() => Bob.Latest?.State.Version == 3);
    }

    [Fact]
    public async Task Confirm_MergedWriteFails_StateStoredAloneNoAcceptAndConnectionDropped()
    {
        var v2 = RawPeer.Pay(V1, 5);
        var v3 = RawPeer.Pay(v2, 7);
        var writesBefore = _store.Batches.Count;
        _store.FailWrite(1); // the merged one (the next, held, is the intent for v2)

        await QueueBehindHeldIntentAsync(v2, new ConfirmUpdate(Id, 2, _peer.Sign(v2)), new ProposeUpdate(v3, 2));
        Assert.Equal(2UL, (await _peer.ReceiveAsync<AcceptUpdate>()).Version);

        // No signature on v3 leaves (its intent is not durable); Bob hangs up.
        await _peer.AssertHungUpWithoutAsync<AcceptUpdate>();

        // v2 was stored alone after the failed merged write, and reported; no intent for v3.
        Assert.Equal(writesBefore + 2, _store.Batches.Count);
        var stored = await _store.GetChannelAsync(Id);
        Assert.Equal(2UL, stored!.Latest!.State.Version);
        Assert.Equal(2UL, stored.LastSigned!.State.Version);
        Assert.Equal(2UL, Bob.Latest!.State.Version);
        await RawPeer.WaitUntilAsync(() => _peer.Received().Contains(2UL));
    }

    [Fact]
    public async Task Confirm_MergedWriteAndLoneWriteFail_NothingAdoptedNothingReported()
    {
        var v2 = RawPeer.Pay(V1, 5);
        var v3 = RawPeer.Pay(v2, 7);
        var writesBefore = _store.Batches.Count;
        _store.FailWrite(1);
        _store.FailWrite(2);

        await QueueBehindHeldIntentAsync(v2, new ConfirmUpdate(Id, 2, _peer.Sign(v2)), new ProposeUpdate(v3, 2));
        Assert.Equal(2UL, (await _peer.ReceiveAsync<AcceptUpdate>()).Version);
        await _peer.AssertHungUpWithoutAsync<AcceptUpdate>();

        // The store holds v1 and the intent for v2, and so does Bob's record: nothing ran ahead.
        Assert.Equal(writesBefore + 1, _store.Batches.Count);
        var stored = await _store.GetChannelAsync(Id);
        Assert.Equal(1UL, stored!.Latest!.State.Version);
        Assert.Equal(2UL, stored.LastSigned!.State.Version);
        Assert.Equal(1UL, Bob.Latest!.State.Version);
        Assert.Equal(new Amount(110), Bob.MyBalance);
        await _peer.BobParty.DisconnectAllAsync();
        Assert.DoesNotContain(2UL, _peer.Received());
    }

    [Fact]
    public async Task Confirm_ForgedWithProposeBehindIt_NothingStoredNoAcceptConnectionDropped()
    {
        var v2 = RawPeer.Pay(V1, 5);
        var v3 = RawPeer.Pay(v2, 7);
        var writesBefore = _store.Batches.Count;
        using var stranger = PrivateKey.Create();
        var forged = new ConfirmUpdate(Id, 2, stranger.Sign(Eip712.HashState(_peer.Chain.Domain, v2)));

        await QueueBehindHeldIntentAsync(v2, forged, new ProposeUpdate(v3, 2));
        Assert.Equal(2UL, (await _peer.ReceiveAsync<AcceptUpdate>()).Version);
        await _peer.AssertHungUpWithoutAsync<AcceptUpdate>();

        // v2 was neither stored nor reported; nothing signed at v3 left. (Checked first, the Propose
        // behind the forged Confirm is still handled on the dropped connection, against v1, as always.)
        Assert.All(_store.Batches.Skip(writesBefore), b => Assert.Empty(b.History));
        Assert.All(_store.Batches.Skip(writesBefore), b => Assert.Equal(1UL, Assert.Single(b.Channels).Latest!.State.Version));
        var stored = await _store.GetChannelAsync(Id);
        Assert.Equal(1UL, stored!.Latest!.State.Version);
        Assert.Equal(1UL, Bob.Latest!.State.Version);
        await _peer.BobParty.DisconnectAllAsync();
        Assert.DoesNotContain(2UL, _peer.Received());
    }

    /// <summary>
    /// Sends Propose(<paramref name="v"/>) and holds Bob's write of its intent; sends
    /// <paramref name="behind"/>; proves Bob's receive loop has queued them (it answers a repeated
    /// OpenRequest in line, after them); then lets the write go.
    /// </summary>
    private async Task QueueBehindHeldIntentAsync(ChannelState v, params ProtocolMessage[] behind)
    {
        var held = _store.HoldNextWrite();
        await _peer.SendAsync(new ProposeUpdate(v, v.Version - 1));
        await held.Reached.Task.WaitAsync(RawPeer.Limit);
        foreach (var m in behind)
        {
            await _peer.SendAsync(m);
        }

        await _peer.SendAsync(new OpenRequest(_peer.Params, _peer.Chain.Domain));
        var refusal = await _peer.ReceiveAsync<RejectUpdate>();
        Assert.Equal(0UL, refusal.Version); // "channel exists"
        held.Release.TrySetResult();
    }

    /// <summary>A store that records every successful batch, can hold the next write, and can fail chosen coming writes.</summary>
    private sealed class RecordingStore(IChannelStore inner) : DelegatingStore(inner)
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

        public override async ValueTask WriteAsync(StoreBatch batch, CancellationToken cancellationToken = default)
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

            await Inner.WriteAsync(batch, cancellationToken);
            lock (_gate)
            {
                _batches.Add(batch);
            }
        }

        public sealed class Hold
        {
            public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}

/// <summary><see cref="MergedWriteTests"/> with the managed secp256k1 (the default): the Confirm's signature is checked on another core while the Propose is handled.</summary>
public sealed class MergedWriteCheckAlongsideTests : MergedWriteTests
{
    private protected override StateChannelClientOptions Options() => Party.FastOptions();
}

/// <summary><see cref="MergedWriteTests"/> with another secp256k1 implementation (the managed one, wrapped): the Confirm's signature is checked before the Propose is taken.</summary>
public sealed class MergedWriteCheckFirstTests : MergedWriteTests
{
    private protected override StateChannelClientOptions Options()
    {
        var options = Party.FastOptions();
        options.Secp256k1 = new Wrapped();
        return options;
    }

    private sealed class Wrapped : ISecp256k1
    {
        public string Name => "wrapped managed";

        public bool TrySignRecoverable(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> digest, Span<byte> compact, out int recoveryId) =>
            ManagedSecp256k1.Instance.TrySignRecoverable(secretKey, digest, compact, out recoveryId);

        public bool TryRecover(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> compact, int recoveryId, Span<byte> publicKey) =>
            ManagedSecp256k1.Instance.TryRecover(digest, compact, recoveryId, publicKey);
    }
}

using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// Thirteenth review (attacker): the new rule that completes a final state the peer presents as
/// pending in its reestablish (<c>TryCompleteFinalAsync</c>, ChannelMachine.GivenUp.cs, called from
/// HandleReestablishAsync in ChannelMachine.Sync.cs). It signs without the responder's guards.
/// </summary>
public sealed class ThirteenthReviewAttackTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static async Task<InMemoryChannelStore> SnapshotAsync(IChannelStore store, ChannelId id)
    {
        var copy = new InMemoryChannelStore();
        var record = await store.GetChannelAsync(id);
        var history = new List<SignedState>();
        await foreach (var s in store.GetHistoryAsync(id))
        {
            history.Add(s);
        }

        await copy.WriteAsync(new StoreBatch([record!], history));
        return copy;
    }

    /// <summary>Reads Bob's messages until a RejectUpdate (or the link closes); returns the first ConfirmUpdate seen before it, if any.</summary>
    private static async Task<ConfirmUpdate?> ConfirmBeforeRejectAsync(InMemoryConnection wire)
    {
        using var cts = new CancellationTokenSource(Limit);
        while (await wire.ReceiveAsync(cts.Token) is { } frame)
        {
            switch (MessageCodec.Decode(frame.Span))
            {
                case ConfirmUpdate c:
                    return c;
                case RejectUpdate:
                    return null;
            }
        }

        return null; // hung up: signed nothing
    }

    /// <summary>
    /// Scenario: Bob's store is restored from a backup at version 1 (RestoredFromBackup: FallenBehind).
    /// Before the restore Bob had signed version 2 (Alice paid him 10 more: 80/120). Mallory (Alice)
    /// reconnects and sends a reestablish with no latest state (so nothing syncs Bob: FallenBehind
    /// stays set) and, as "pending", a final state at version 2 with the balances of version 1
    /// (90/110), signed by her. HandleReestablishAsync (Sync.cs:192) hands it to TryCompleteFinalAsync
    /// (GivenUp.cs:73), which checks the final/balances/version/sign-once against the restored record
    /// only and never looks at _record.FallenBehind, unlike the responder path (Responder.cs:50, "a
    /// store marked behind signs none of the peer's proposals until the peer's reestablish syncs it").
    /// Impact: Bob signs a second, different state at version 2 (the payment and the final); the final
    /// one concludes at once on chain at 90/110, taking back the 10 Bob counted as received after the
    /// backup. (A peer that echoes Bob's stale latest can also clear FallenBehind, Sync.cs:153; this
    /// path does not even need that, and leaves the record FallenBehind and Closing.)
    /// Severity: Medium (requires a restore from backup, the exact case the flag exists for).
    /// </summary>
    [Fact]
    public async Task RestoredStore_PendingFinalInReestablishWithoutLatest_SignedWhileFallenBehind()
    {
        var store = new InMemoryChannelStore();
        await using var peer = await RawPeer.OpenAsync(store);
        var v1 = peer.Bob.Latest!;
        var backup = await SnapshotAsync(store, peer.Id); // Bob backs up at version 1 ...

        var pay2 = RawPeer.Pay(v1.State, 10); // ... then receives 10 more at version 2 (80/120)
        await peer.SendAsync(new ProposeUpdate(pay2, 1));
        var bobOnPay2 = await peer.ReceiveAsync<AcceptUpdate>();
        await peer.SendAsync(new ConfirmUpdate(peer.Id, 2, peer.Sign(pay2)));
        await RawPeer.WaitUntilAsync(() => peer.Bob.Latest?.State.Version == 2);
        var bobKey = peer.BobParty.Key;
        await peer.BobParty.DisposeAsync();

        var options = Party.FastOptions();
        options.RestoredFromBackup = true;
        await using var restored = await Party.CreateAsync("bob-restored", peer.Chain, backup, options, keyOf: bobKey);
        var pair = InMemoryTransport.CreatePair(peer.Alice.Address, restored.Address);
        restored.Serve(pair.Second);

        // Mallory: no latest, a made-up final at version 2 with version 1's balances as "pending".
        var final2 = v1.State with { Version = 2, IsFinal = true };
        await RawWire.SendAsync(pair.First, new Reestablish(peer.Id, null, final2, peer.Sign(final2)));
        // Probe: a payment at version 2; a store still behind refuses it (WrongPhase).
        await RawWire.SendAsync(pair.First, new ProposeUpdate(RawPeer.Pay(v1.State, 5), 1));

        var confirm = await ConfirmBeforeRejectAsync(pair.First);
        Assert.Equal(2UL, bobOnPay2.Version); // Bob's signature on the payment at version 2, from before the restore
        Assert.True(
            confirm is null,
            $"Bob's copy is behind (FallenBehind) yet he signed the peer's made-up final at version {confirm?.Version} "
            + "(90/110): his key now signs two different states at version 2 (the payment to him, 80/120, and this close)");
    }

    /// <summary>
    /// Scenario: the channel is already closing: Bob holds a fully signed final state at version 2.
    /// Mallory sends a reestablish whose "pending" is another final state at version 3 with the same
    /// balances. TryCompleteFinalAsync (GivenUp.cs:73) requires only that it lies above our latest and
    /// keeps its balances; it never checks that our latest is already final, the rule every other path
    /// keeps (TransitionRules.cs:53 "version N is final: the channel takes no more updates"). Bob signs
    /// and stores version 3 and confirms; one reconnect later version 4, and so on without end.
    /// Impact: the "a final state takes no more updates" rule is bypassed; Bob's key signs unbounded
    /// states after the close, each one a durable write and a history entry; the final that Bob's
    /// CloseAsync submitted is no longer his latest. No money moves (same balances). Severity: Low.
    /// </summary>
    [Fact]
    public async Task ClosingWithFinalLatest_PendingFinalAboveIt_SignedAnyway()
    {
        var store = new InMemoryChannelStore();
        await using var peer = await RawPeer.OpenAsync(store);
        var v1 = peer.Bob.Latest!;

        var final2 = v1.State with { Version = 2, IsFinal = true };
        await peer.SendAsync(new ProposeUpdate(final2, 1));
        await peer.ReceiveAsync<AcceptUpdate>();
        await peer.SendAsync(new ConfirmUpdate(peer.Id, 2, peer.Sign(final2)));
        await RawPeer.WaitUntilAsync(() => peer.Bob.Latest?.State.Version == 2);
        Assert.Equal(ChannelPhase.Closing, peer.Bob.Phase);

        var final3 = final2 with { Version = 3 };
        await peer.SendAsync(new Reestablish(peer.Id, null, final3, peer.Sign(final3)));
        // Probe: a payment above the final; a closing channel refuses it.
        await peer.SendAsync(new ProposeUpdate(RawPeer.Pay(final3 with { IsFinal = false }, 1), 3));

        var confirm = await ConfirmBeforeRejectAsync(peer.Wire);
        Assert.True(
            confirm is null,
            $"Bob's latest was final at version 2, yet he signed and confirmed another state at version {confirm?.Version}");
    }
}

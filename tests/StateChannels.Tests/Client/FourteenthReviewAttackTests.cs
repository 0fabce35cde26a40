using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// Fourteenth review (attacker): paths where our key signs while the store is known to be behind
/// (FallenBehind), outside the responder's rule.
/// </summary>
public sealed class FourteenthReviewAttackTests
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

    /// <summary>
    /// Scenario: Bob's store is restored from a backup at version 1 (RestoredFromBackup: FallenBehind).
    /// Before the restore Bob had signed version 2 (Alice paid him 10 more: 80/120). Bob asks for a
    /// cooperative close (Channel.CloseAsync). Mallory (Alice) reconnects and sends a reestablish with
    /// no latest state: nothing syncs Bob, FallenBehind stays set, but HandleReestablishAsync marks the
    /// channel synced (Sync.cs:214) and calls StartNextAsync. PayAsync refuses a fallen-behind copy
    /// (Proposer.cs:21), the responder refuses to sign (Responder.cs:50), TryCompleteFinalAsync refuses
    /// (GivenUp.cs:77), ForceCloseAsync refuses (Chain.cs:76), but SignFinalAsync (Proposer.cs:59) and
    /// StartNextAsync (Proposer.cs:98) never look at FallenBehind: Bob proposes a final state at
    /// NextVersion computed from the stale record (version 2, balances of version 1: 90/110). Mallory
    /// accepts; CompleteProposalAsync signs it (SignOnce checks the stale LastSigned only) and
    /// confirms, and Bob's own CloseAsync submits it on chain.
    /// Impact: Bob's key signs two different states at version 2 (the payment to him, 80/120, and
    /// this close at 90/110); the final one concludes the channel at once at 90/110, taking back the
    /// 10 Bob received after the backup. The same flaw the thirteenth review found in
    /// TryCompleteFinalAsync, through our own close proposal.
    /// Severity: Medium (requires a restore from backup, the exact case the flag exists for).
    /// </summary>
    [Fact]
    public async Task RestoredStore_CloseAsyncAfterReestablishWithoutLatest_SignsStaleFinalWhileFallenBehind()
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
        var bob = restored.Client.GetChannel(peer.Id);
        Assert.Equal(1UL, bob.Latest!.State.Version);
        var fallen = await Assert.ThrowsAsync<StateChannelException>(() => bob.PayAsync(1)); // the copy is known to be behind
        Assert.Equal(ErrorCode.FallenBehind, fallen.Code);
        var pair = InMemoryTransport.CreatePair(peer.Alice.Address, restored.Address);
        restored.Serve(pair.Second);

        // Mallory: a reestablish that carries nothing (no latest, no pending): Bob stays FallenBehind.
        await RawWire.SendAsync(pair.First, new Reestablish(peer.Id, null, null, null));
        var close = bob.CloseAsync();

        using var cts = new CancellationTokenSource(Limit);
        _ = close.ContinueWith(_ => cts.Cancel(), TaskScheduler.Default);
        ConfirmUpdate? confirm = null;
        try
        {
            while (confirm is null && await pair.First.ReceiveAsync(cts.Token) is { } frame)
            {
                switch (MessageCodec.Decode(frame.Span))
                {
                    case ProposeUpdate p when p.State.IsFinal:
                        await RawWire.SendAsync(pair.First, new AcceptUpdate(peer.Id, p.State.Version, peer.Sign(p.State)));
                        break;
                    case ConfirmUpdate c:
                        confirm = c;
                        break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the close ended (refused) or the limit passed: Bob signed nothing
        }

        Assert.Equal(2UL, bobOnPay2.Version); // Bob's signature on the payment at version 2, from before the restore
        Assert.True(
            confirm is null,
            $"Bob's copy is behind (FallenBehind) yet his own close proposed and he signed a final state at version {confirm?.Version} "
            + "(90/110): his key now signs two different states at version 2 (the payment to him, 80/120, and this close)");
    }
}

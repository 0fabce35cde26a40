using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// Sixth outside review (attacks on the fifth review's fixes). Mallory (participant 0) is played
/// raw by <see cref="RawPeer"/> against Bob's real engine; a red test is a finding.
/// </summary>
public sealed class SixthReviewAttackTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Stall. A Reject(FallenBehind) with no newer state sets _behindPeer and arms the answer timer
    /// for it; Mallory then proposes (Bob signs: AwaitConfirm replaces that timer with the Confirm
    /// wait's) and answers ProposalAbandoned (the wait ends; StartNextAsync returns at _behindPeer).
    /// _behindPeer is never cleared and nothing times it: every later payment queues forever.
    /// </summary>
    [Fact]
    public async Task FakeFallenBehind_ThenPeerProposes_RefusedUntilTheNewerStateAndDroppedWhenNoneComes()
    {
        var options = Party.FastOptions();
        options.UpdateTimeout = TimeSpan.FromSeconds(2); // slack for steps under load (the wait under test is this timer)
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);
        var v1 = peer.Bob.Latest!.State;

        var first = peer.Bob.PayAsync(5);
        var bobs2 = await peer.ReceiveAsync<ProposeUpdate>();
        Assert.Equal(2UL, bobs2.State.Version);
        await peer.SendAsync(new RejectUpdate(peer.Id, 2, ErrorCode.FallenBehind, "behind"));
        var failed = await Assert.ThrowsAsync<StateChannelException>(() => first.WaitAsync(Limit));
        Assert.Equal(ErrorCode.PeerRejected, failed.Code);

        var v2 = RawPeer.Pay(v1, 1);
        await peer.SendAsync(new ProposeUpdate(v2, 1));

        // The defence: while waiting for the newer state Mallory claimed, Bob signs nothing of hers
        // (so the timer that bounds the wait stays), and drops her when it runs out.
        var refused = Assert.IsType<RejectUpdate>(await peer.ReceiveAsync(m => m is AcceptUpdate or RejectUpdate));
        Assert.Equal(ErrorCode.WrongPhase, refused.Code);
        var pay = peer.Bob.PayAsync(3);
        await peer.AssertHungUpWithoutAsync<AcceptUpdate>();
        Assert.False(pay.IsCompletedSuccessfully); // queued: it goes out after the reconnect's resync
    }
}

using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// Fifth outside review: attacks on the fourth review's fixes (MayAdoptBelowSigned everywhere,
/// the same-close-again rule above an unsettled final, AbandonInflight's timer). Mallory
/// (participant 0) is played raw by <see cref="RawPeer"/> against Bob's real engine; each test
/// asserts what an honest Bob must get, so a red test is a finding.
/// </summary>
public sealed class FifthReviewAttackTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static StateChannelClientOptions Options()
    {
        var options = Party.FastOptions();
        options.CloseSubmitDelay = TimeSpan.FromMilliseconds(200);
        options.UpdateTimeout = TimeSpan.FromSeconds(60);
        return options;
    }

    /// <summary>
    /// Goal 1. The unsettled-final rule lives only in the responder's check, and only while the final
    /// state is Bob's highest signature. Bob's own proposal, completed above it, replaces LastSigned
    /// and the memory of the final state is gone. Bob pays 1 (Propose v2); Mallory proposes the final
    /// v2 (v1's balances) at once and wins the tie (even version): Bob requeues his payment and signs
    /// her final. She answers ProposalAbandoned(2): Bob proposes his payment at v3 on v1, she accepts,
    /// Bob completes v3 (LastSigned = v3). Mallory pays Bob 90 at v4: nothing unsettled above v3, Bob
    /// signs and counts 199. Mallory closes with the final v2 (her signature and Bob's Accept): a final
    /// state concludes at once and pays Bob 110.
    /// </summary>
    [Fact]
    public async Task FinalSignedAfterLostTie_Abandoned_QueuedPaymentFailsNothingAboveTheFinal_CloseOwesNothing()
    {
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), Options());
        var v1 = peer.Bob.Latest!.State; // 90 / 110

        var pay = peer.Bob.PayAsync(1);
        var bobs2 = await peer.ReceiveAsync<ProposeUpdate>();
        Assert.Equal(2UL, bobs2.State.Version);

        var final2 = v1 with { Version = 2, IsFinal = true };
        await peer.SendAsync(new ProposeUpdate(final2, 1));
        var acceptFinal = await peer.ReceiveAsync<AcceptUpdate>();
        Assert.Equal(2UL, acceptFinal.Version);
        var fullFinal = new SignedState(final2, peer.Sign(final2), acceptFinal.Signature);

        await peer.SendAsync(new RejectUpdate(peer.Id, 2, ErrorCode.ProposalAbandoned, "abandoned"));

        // The defence: with a final state of his unsettled, Bob's queued payment is not proposed
        // above it (it would be taken back by a close with the final); it fails, typed.
        var failed = await Assert.ThrowsAsync<StateChannelException>(() => pay.WaitAsync(Limit));
        Assert.Equal(ErrorCode.WrongPhase, failed.Code);

        // Mallory's own payment above the final is refused as well.
        var v3 = RawPeer.Pay(v1, 90) with { Version = 3 }; // 0 / 200
        await peer.SendAsync(new ProposeUpdate(v3, 1));
        var answer = await peer.ReceiveAsync(m => m is AcceptUpdate or RejectUpdate);
        Assert.IsType<RejectUpdate>(answer);

        var counted = peer.Bob.Latest!.State.Balance1;
        await peer.Chain.For(peer.Alice.Address).CloseAsync(peer.Params, fullFinal);
        var paid = peer.Chain.BalanceOf(peer.BobParty.Address, EthAddress.Zero);
        Assert.True(
            paid >= counted,
            $"Bob counts {counted} (latest v{peer.Bob.Latest!.State.Version}, received at [{string.Join(",", peer.Received())}]); Mallory closed with the final v2 he signed: the chain paid him {paid}");
    }

    /// <summary>
    /// Goal 4 (stall). The repeat path of HandleProposeAsync (a proposal Bob already signed, sent
    /// again) calls AwaitConfirm, which replaces the one answer timer: with a proposal of Bob's in
    /// flight, its update timer is gone. Mallory proposes v2, Bob signs; ProposalAbandoned(2); Bob pays
    /// 5 (Propose v3, timed); Mallory sends Propose v2 again (Bob re-sends his Accept, and the timer is
    /// now the wait for v2's Confirm); ProposalAbandoned(2) again clears the wait. Bob's v3 is in flight
    /// with no timer; Mallory stays connected and silent: the payment never completes nor fails.
    /// </summary>
    [Fact]
    public async Task RepeatedProposeWhileOwnInflight_ReplacesTheUpdateTimer_AbandonedAgain_PaymentHangsForever()
    {
        var options = Options();
        options.UpdateTimeout = TimeSpan.FromMilliseconds(300);
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);
        var v1 = peer.Bob.Latest!.State;
        var v2 = RawPeer.Pay(v1, 50);
        await peer.SendAsync(new ProposeUpdate(v2, 1));
        await peer.ReceiveAsync<AcceptUpdate>();
        await peer.SendAsync(new RejectUpdate(peer.Id, 2, ErrorCode.ProposalAbandoned, "abandoned"));

        var pay = peer.Bob.PayAsync(5);
        var bobs = await peer.ReceiveAsync<ProposeUpdate>();
        Assert.Equal(3UL, bobs.State.Version);

        await peer.SendAsync(new ProposeUpdate(v2, 1));
        var again = await peer.ReceiveAsync<AcceptUpdate>();
        Assert.Equal(2UL, again.Version);
        await peer.SendAsync(new RejectUpdate(peer.Id, 2, ErrorCode.ProposalAbandoned, "abandoned"));

        // Whatever Bob does next (fail the payment, hang up on the silent peer, send anything) ends this wait.
        using var cts = new CancellationTokenSource(Limit);
        var next = peer.Wire.ReceiveAsync(cts.Token).AsTask();
        var first = await Task.WhenAny(pay, next, Task.Delay(Timeout.Infinite, cts.Token).ContinueWith(_ => { }, TaskScheduler.Default));
        var what = "nothing";
        if (first == pay)
        {
            what = "payment ended";
        }
        else if (first == next && next.IsCompletedSuccessfully)
        {
            what = await next is null ? "Bob hung up" : "Bob sent a message";
        }

        Assert.True(
            what != "nothing",
            $"{Limit.TotalSeconds} s ({Limit / options.UpdateTimeout} update timeouts) after the second ProposalAbandoned Bob's payment v3 is neither completed nor failed and the silent peer is not dropped");
    }
}

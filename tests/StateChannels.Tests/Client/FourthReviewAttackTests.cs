using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;
using static StateChannels.Tests.Support.RawWire;

namespace StateChannels.Tests.Client;

/// <summary>
/// Fourth outside review: attacks on the third review's fixes (MayAdoptBelowSigned, IsOnLatest,
/// the unsettled-final rule, the reconnect timer, the tower's queue). Mallory (participant 0) is
/// played raw by <see cref="RawPeer"/> against Bob's real engine on the simulated chain; each test
/// asserts what an honest Bob must get, so a red test is a finding.
/// </summary>
public sealed class FourthReviewAttackTests
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
    /// Goal 1. <see cref="TransitionRules.MayAdoptBelowSigned"/> compares the adopted state with the
    /// highest state Bob signed (LastSigned) only, not with every state he signed above it. Mallory
    /// has Bob sign three unsettled states on v1 (90/110): v2 (+50: Bob 160), v3 (+1: Bob 111) and
    /// v4 (+80: Bob 190). She reconnects and presents v2 fully signed: the guard checks v2 against v4
    /// (190 &gt;= 160) and Bob adopts v2 and reports 50 received. Mallory registers v3, fully signed
    /// (Bob's signature and hers): Bob holds nothing fully signed above v2, so his watcher cannot
    /// refute, and the chain pays him 111 where he counts 160.
    /// </summary>
    [Fact]
    public async Task ThreeSignedPendingStates_PeerPresentsTheRichLowest_GuardComparesOnlyTheHighest_ChainTakesBackTheCount()
    {
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), Options());
        var v1 = peer.Bob.Latest!.State; // 90 / 110
        var v2 = RawPeer.Pay(v1, 50);   // 40 / 160
        var v3 = v1 with { Version = 3, Balance0 = v1.Balance0 - 1, Balance1 = v1.Balance1 + 1 };   // 89 / 111
        var v4 = v1 with { Version = 4, Balance0 = v1.Balance0 - 80, Balance1 = v1.Balance1 + 80 }; // 10 / 190

        await peer.SendAsync(new ProposeUpdate(v2, 1));
        var a2 = await peer.ReceiveAsync<AcceptUpdate>();
        await peer.SendAsync(new ProposeUpdate(v3, 1));
        var a3 = await peer.ReceiveAsync(m => m is AcceptUpdate or RejectUpdate);
        Assert.True(a3 is AcceptUpdate, $"defence: Bob refused v3 ({a3})");
        await peer.SendAsync(new ProposeUpdate(v4, 1));
        var a4 = await peer.ReceiveAsync(m => m is AcceptUpdate or RejectUpdate);
        Assert.True(a4 is AcceptUpdate, $"defence: Bob refused v4 ({a4})");
        var full2 = new SignedState(v2, peer.Sign(v2), a2.Signature);
        var full3 = new SignedState(v3, peer.Sign(v3), ((AcceptUpdate)a3).Signature);

        // Reconnect; Mallory's reestablish presents v2 as her latest fully signed state.
        var pair = InMemoryTransport.CreatePair(peer.Alice.Address, peer.BobParty.Address);
        peer.BobParty.Serve(pair.Second);
        await ReceiveAsync<Reestablish>(pair.First);
        await pair.First.SendAsync(MessageCodec.Encode(new Reestablish(peer.Id, full2, null, null)));

        // Bob either adopts v2 (counts it) or drops Mallory: wait for one of the two.
        await AdoptedOrDroppedAsync(peer, pair.First, 2);

        var counted = peer.Bob.Latest!.State.Balance1;

        // Mallory registers v3; Bob's watcher looks and refutes with whatever he holds.
        await peer.Chain.For(peer.Alice.Address).RegisterAsync(peer.Params, full3);
        await peer.BobParty.Client.WatchOnceAsync(CancellationToken.None);
        var onChain = await peer.Chain.For(peer.Alice.Address).GetChannelAsync(peer.Params);
        var payable = onChain.RegisteredVersion == 3 ? v3.Balance1 : counted;
        Assert.True(
            payable >= counted,
            $"Bob counts {counted} (latest v{peer.Bob.Latest!.State.Version}, received at versions [{string.Join(",", peer.Received())}]); " +
            $"Mallory registered v3, still registered at v{onChain.RegisteredVersion} after Bob's watcher looked: the chain pays him {v3.Balance1}");
    }

    /// <summary>
    /// Goal 4 (liveness, honest peers). The third review's HonestPayerRestartsMidPayment, for a close:
    /// Alice proposes the final state v2 (v1's balances), Bob signs it, Alice restarts before Bob's
    /// Accept reaches her (her proposal lived only in memory). Her restarted engine does what it
    /// must on Bob's reestablish (pending v2 is not hers: ProposalAbandoned, PeerSignedVersion 2),
    /// played raw here message for message. Her user closes again: final v3 with the same balances,
    /// on v1. Bob refuses it (nothing above a final state he signed), and every payment too: a final
    /// state with the very balances of the one he signed could take nothing from him, yet the payer
    /// is left with a dispute (funds locked for the challenge period) as her only way out.
    /// </summary>
    [Fact]
    public async Task HonestCloserRestartsMidClose_AbandonsIt_ThenHerCloseWithTheSameBalancesRefusedForever()
    {
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), Options());
        var v1 = peer.Bob.Latest!.State; // 90 / 110
        var final2 = v1 with { Version = 2, IsFinal = true };
        await peer.SendAsync(new ProposeUpdate(final2, 1));
        await peer.ReceiveAsync<AcceptUpdate>(); // lost: Alice restarts

        var pair = InMemoryTransport.CreatePair(peer.Alice.Address, peer.BobParty.Address);
        peer.BobParty.Serve(pair.Second);
        var wire = pair.First;
        var bobs = await ReceiveAsync<Reestablish>(wire);
        Assert.Equal(2UL, bobs.Pending?.Version);
        await wire.SendAsync(MessageCodec.Encode(new Reestablish(peer.Id, peer.Bob.Latest!, null, null)));
        await wire.SendAsync(MessageCodec.Encode(new RejectUpdate(peer.Id, 2, ErrorCode.ProposalAbandoned, "proposal abandoned")));

        // Alice's CloseAsync again: final at NextVersion 3 (above the version Bob signed), on v1.
        var final3 = v1 with { Version = 3, IsFinal = true };
        await wire.SendAsync(MessageCodec.Encode(new ProposeUpdate(final3, 1)));
        var answer = await ReceiveAsync(wire, m => m is AcceptUpdate or RejectUpdate);
        Assert.True(
            answer is AcceptUpdate,
            $"an honest closer that lost her close proposal cannot close cooperatively with the same balances ({answer}): only a dispute is left");
    }

    /// <summary>
    /// Goal 4. The third review's fix starts the answer timer in OnConnectedAsync for a pending
    /// state Bob signed. But HandleReestablishAsync ends with AbandonInflight(), which stops the
    /// update timer whenever a proposal of Bob's was still in flight, and leaves _awaitingConfirm
    /// set. Mallory proposes v2, Bob signs, she says ProposalAbandoned (Bob may propose again), Bob
    /// proposes his payment v3; Mallory dials again (Bob's reconnect waits again for v2, timed), and
    /// reestablishes with v1 and nothing pending. Bob's proposal v3 is abandoned and with it the
    /// timer: his payment is queued behind a wait no timer bounds; Mallory stays silent, connected.
    /// </summary>
    [Fact]
    public async Task InflightAndPendingAtReconnect_ReestablishStopsTheAnswerTimer_PaymentNeitherProposedNorFailedNorConnectionDropped()
    {
        var options = Options();
        options.UpdateTimeout = TimeSpan.FromMilliseconds(300);
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);
        var v1 = peer.Bob.Latest!;
        var v2 = RawPeer.Pay(v1.State, 50);
        await peer.SendAsync(new ProposeUpdate(v2, 1));
        await peer.ReceiveAsync<AcceptUpdate>();
        await peer.SendAsync(new RejectUpdate(peer.Id, 2, ErrorCode.ProposalAbandoned, "abandoned"));

        var pay = peer.Bob.PayAsync(5);
        var bobs = await peer.ReceiveAsync<ProposeUpdate>();
        Assert.Equal(3UL, bobs.State.Version);

        // Mallory dials again before Bob's answer timer fires; her reestablish settles nothing.
        var pair = InMemoryTransport.CreatePair(peer.Alice.Address, peer.BobParty.Address);
        peer.BobParty.Serve(pair.Second);
        var wire = pair.First;
        var bobsView = await ReceiveAsync<Reestablish>(wire);
        Assert.Equal(2UL, bobsView.Pending?.Version); // Bob waits for v2 to be settled again
        await wire.SendAsync(MessageCodec.Encode(new Reestablish(peer.Id, v1, null, null)));

        // Whatever Bob does next (propose, fail the payment, hang up on the silent peer) ends this wait.
        using var cts = new CancellationTokenSource(Limit);
        var next = wire.ReceiveAsync(cts.Token).AsTask();
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
            $"{Limit.TotalSeconds} s ({Limit / options.UpdateTimeout} update timeouts) after the reestablish Bob has neither proposed, failed the payment nor dropped the silent peer");
    }

    /// <summary>Returns once Bob's latest reaches <paramref name="version"/> or he closes <paramref name="wire"/>.</summary>
    private static async Task AdoptedOrDroppedAsync(RawPeer peer, InMemoryConnection wire, ulong version)
    {
        using var cts = new CancellationTokenSource(Limit);
        var closed = Task.Run(async () =>
        {
            while (await wire.ReceiveAsync(cts.Token) is not null)
            {
            }
        });
        var adopted = RawPeer.WaitUntilAsync(() => peer.Bob.Latest!.State.Version >= version);
        await Task.WhenAny(closed, adopted);
        await cts.CancelAsync();
    }
}

using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;
using static StateChannels.Tests.Support.RawWire;

namespace StateChannels.Tests.Client;

/// <summary>
/// Second outside review: attacks by a byzantine peer (Alice played raw by <see cref="RawPeer"/>)
/// against Bob's real engine on the simulated chain. Each test asserts what an honest Bob must get;
/// a red test is a finding.
/// </summary>
public sealed class ReviewAttackTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static StateChannelClientOptions Options()
    {
        var options = Party.FastOptions();
        options.CloseSubmitDelay = TimeSpan.FromMilliseconds(200);
        options.UpdateTimeout = TimeSpan.FromSeconds(5);
        return options;
    }

    /// <summary>
    /// Mallory asks for a cooperative close (final v2), Bob co-signs it, Mallory withholds her Confirm
    /// and instead pays Bob 50 at v3. Bob accepts and reports the payment received, but Mallory holds
    /// a fully signed final v2 and closes with it at once: the contract pays v2 (no dispute, a final
    /// state concludes immediately), so the 50 Bob "received" at v3 never reaches him.
    /// </summary>
    [Fact]
    public async Task SignedFinalUnconfirmed_PeerThenPaysAtHigherVersion_BobMustNotCountItBecauseFinalClosesFirst()
    {
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), Options());
        var v1 = peer.Bob.Latest!.State; // 90 / 110
        var final = v1 with { Version = 2, IsFinal = true };
        await peer.SendAsync(new ProposeUpdate(final, 1));
        var accept = await peer.ReceiveAsync<AcceptUpdate>();
        var fullFinal = new SignedState(final, peer.Sign(final), accept.Signature);

        // No Confirm. A payment to Bob at v3, built on v1.
        var v3 = v1 with { Version = 3, Balance0 = v1.Balance0 - 50, Balance1 = v1.Balance1 + 50 };
        await peer.SendAsync(new ProposeUpdate(v3, 1));
        var answer = await peer.ReceiveAsync(m => m is AcceptUpdate or RejectUpdate);
        if (answer is AcceptUpdate)
        {
            await peer.SendAsync(new ConfirmUpdate(peer.Id, 3, peer.Sign(v3)));
            await Task.Delay(300);
        }

        // Mallory closes with the final v2 she holds.
        await peer.Chain.For(peer.Alice.Address).CloseAsync(peer.Params, fullFinal);
        var paidToBob = peer.Chain.BalanceOf(peer.BobParty.Address, EthAddress.Zero);

        // Whatever Bob counts as received must be what the chain pays him.
        var bobThinks = peer.Bob.Latest!.State.Balance1;
        Assert.True(answer is RejectUpdate, $"Bob signed a payment above a final state he co-signed; he counts {bobThinks}, the chain paid him {paidToBob}");
        Assert.Equal(bobThinks, paidToBob);
    }

    /// <summary>
    /// The non-final twin of the first attack. Mallory proposes v2 (+50 to Bob) and withholds her
    /// Confirm; then proposes v3 on top of v1 (+1 to Bob). Bob signs both: Mallory now holds v2 and v3
    /// fully signed. She reconnects and presents v2 as her latest: Bob adopts it (it is above his
    /// latest v1) and reports 50 received. Mallory registers v3: Bob's watcher cannot refute (his
    /// latest, v2, is lower), and after the deadline the chain pays Bob v3's 111, not the 160 he
    /// counts. Same with the honest-looking path (Reject(ProposalAbandoned) for v2 before v3).
    /// </summary>
    [Fact]
    public async Task TwoSignedPendingStates_PeerPresentsTheLowerRicherOne_NotCountedAndTheChainPaysAtLeastTheCount()
    {
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), Options());
        var v1 = peer.Bob.Latest!.State; // 90 / 110
        var v2 = RawPeer.Pay(v1, 50);   // 40 / 160
        await peer.SendAsync(new ProposeUpdate(v2, 1));
        var a2 = await peer.ReceiveAsync<AcceptUpdate>();
        await peer.SendAsync(new RejectUpdate(peer.Id, 2, ErrorCode.ProposalAbandoned, "abandoned")); // (also works without this)

        var v3 = v1 with { Version = 3, Balance0 = v1.Balance0 - 1, Balance1 = v1.Balance1 + 1 }; // 89 / 111
        await peer.SendAsync(new ProposeUpdate(v3, 1));
        var answer = await peer.ReceiveAsync(m => m is AcceptUpdate or RejectUpdate);
        Assert.True(answer is AcceptUpdate, "defence: Bob refused v3"); // (if refused, the attack ends here)
        var full2 = new SignedState(v2, peer.Sign(v2), a2.Signature);
        var full3 = new SignedState(v3, peer.Sign(v3), ((AcceptUpdate)answer).Signature);

        // Reconnect; Mallory's reestablish presents v2 as her latest fully signed state. Bob signed
        // v3 above it, which pays him less: he must not adopt (count) v2, and drops her.
        var pair = InMemoryTransport.CreatePair(peer.Alice.Address, peer.BobParty.Address);
        peer.BobParty.Serve(pair.Second);
        await ReceiveAsync<Reestablish>(pair.First);
        await SendAsync(pair.First, new Reestablish(peer.Id, full2, null, null));
        await WaitClosedAsync(pair.First);
        Assert.Equal(1UL, peer.Bob.Latest!.State.Version);
        Assert.DoesNotContain(2UL, peer.Received());

        // Whatever Mallory registers, the chain pays Bob at least what he counts (v1's 110).
        await peer.Chain.For(peer.Alice.Address).RegisterAsync(peer.Params, full3);
        await peer.BobParty.Client.WatchOnceAsync(CancellationToken.None);
        Assert.True(v3.Balance1 >= peer.Bob.Latest!.State.Balance1);
    }

    /// <summary>
    /// The same with a final state on top, so no watcher or deadline can help: Mallory proposes v2
    /// (+50 to Bob) and withholds her Confirm; then proposes a close, final v3 with v1's balances,
    /// which Bob co-signs (a final state keeps the balances of his latest fully signed state, v1).
    /// She reconnects and presents v2: Bob adopts it and reports 50 received. She closes with v3 at
    /// once: the chain pays Bob v1's 110, not the 160 he counts.
    /// </summary>
    [Fact]
    public async Task SignedPaymentThenFinalOnOlderBase_PeerPresentsThePayment_NotCountedAndTheCloseOwesNothing()
    {
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), Options());
        var v1 = peer.Bob.Latest!.State; // 90 / 110
        var v2 = RawPeer.Pay(v1, 50);   // 40 / 160
        await peer.SendAsync(new ProposeUpdate(v2, 1));
        var a2 = await peer.ReceiveAsync<AcceptUpdate>();

        var final = v1 with { Version = 3, IsFinal = true }; // 90 / 110
        await peer.SendAsync(new ProposeUpdate(final, 1));
        var answer = await peer.ReceiveAsync(m => m is AcceptUpdate or RejectUpdate);
        Assert.True(answer is AcceptUpdate, "defence: Bob refused the final state"); // (if refused, the attack ends here)
        var full2 = new SignedState(v2, peer.Sign(v2), a2.Signature);
        var fullFinal = new SignedState(final, peer.Sign(final), ((AcceptUpdate)answer).Signature);

        var pair = InMemoryTransport.CreatePair(peer.Alice.Address, peer.BobParty.Address);
        peer.BobParty.Serve(pair.Second);
        await ReceiveAsync<Reestablish>(pair.First);
        await SendAsync(pair.First, new Reestablish(peer.Id, full2, null, null));
        await WaitClosedAsync(pair.First);
        Assert.DoesNotContain(2UL, peer.Received()); // v2 is never counted: the final above it pays less

        await peer.Chain.For(peer.Alice.Address).CloseAsync(peer.Params, fullFinal);
        var paid = peer.Chain.BalanceOf(peer.BobParty.Address, EthAddress.Zero);
        Assert.Equal(final.Balance1, paid);
        Assert.True(paid >= v1.Balance1, $"Bob counts {v1.Balance1} (v1); the close paid him {paid}");
    }

    /// <summary>
    /// Mallory opens 100/100, confirms version 0 and never deposits; Bob deposits his 100. At the
    /// funding timeout Bob moves to Aborted and sends one registration of version 0 (the refund).
    /// If that one transaction fails (a flaky RPC node; equally a crash between the Aborted write
    /// and the send), nothing ever sends it again: the watcher acts on an Aborted channel only when
    /// the chain already shows a registration, so Bob's 100 stay in the contract indefinitely.
    /// </summary>
    [Fact]
    public async Task Aborted_RefundRegistrationFailsOnce_NeverRetried_DepositLocked()
    {
        var blockTime = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var chain = new SimulatedChain(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")), blockTime);
        var mallory = PrivateKey.Create();
        var options = Options();
        options.FundingTimeout = TimeSpan.FromSeconds(1);
        await using var bob = await Party.CreateAsync("bob", chain, options: options, clientTime: TimeProvider.System);
        var pair = InMemoryTransport.CreatePair(mallory.Address, bob.Address);
        bob.Serve(pair.Second);
        var wire = pair.First;
        Signature Sign(ChannelState s) => mallory.Sign(Eip712.HashState(chain.Domain, s));
        OnChainChannel View(ChannelParams p) => chain.For(mallory.Address).GetChannelAsync(p).AsTask().Result;

        var p = new ChannelParams(mallory.Address, bob.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 100, 100);
        var id = Eip712.ComputeChannelId(chain.Domain, p);
        await SendAsync(wire, new OpenRequest(p, chain.Domain));
        var v0 = ChannelState.Opening(id, p);
        await SendAsync(wire, new ProposeUpdate(v0, 0));
        await ReceiveAsync<AcceptUpdate>(wire);
        await SendAsync(wire, new ConfirmUpdate(id, 0, Sign(v0)));
        await RawPeer.WaitUntilAsync(() => View(p).Held1 == 100);

        // The next transaction is Bob's refund registration: the node fails it once.
        chain.FailNextTransaction = new StateChannelException(ErrorCode.ChainRpcFailure, "simulated node failure");
        await RawPeer.WaitUntilAsync(() => bob.Client.GetChannel(id).Phase == ChannelPhase.Aborted);
        await RawPeer.WaitUntilAsync(() => chain.FailNextTransaction is null);

        // Bob keeps his watcher running (both the event-driven catch-up and its polls) well past the
        // challenge period: his deposit must come back.
        using var stop = new CancellationTokenSource();
        var watcher = bob.Client.RunWatcherAsync(stop.Token);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < until && View(p).RegisteredVersion is null && !View(p).Concluded)
        {
            await Task.Delay(20);
        }

        blockTime.Advance(TimeSpan.FromHours(2));
        until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < until && chain.BalanceOf(bob.Address, EthAddress.Zero) != new Amount(100))
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);
        Assert.True(View(p).RegisteredVersion is not null || View(p).Concluded, "nobody ever registered the refund: Bob's deposit stays locked");
        Assert.Equal(new Amount(100), chain.BalanceOf(bob.Address, EthAddress.Zero));
    }

    /// <summary>
    /// Goal 4 (a payment that never completes and never fails): Mallory answers every proposal of
    /// Bob's with a fake Reject(FallenBehind) and reconnects when the G8 timer drops the connection
    /// (as any transport with automatic reconnect does). The G8 fix only drops the connection; the
    /// reestablish re-queues the payment and Bob proposes it again, forever: PayAsync has no
    /// deadline of its own, and since the payment is in flight almost all the time, cancelling it
    /// does not withdraw it either.
    /// </summary>
    [Fact]
    public async Task FakeFallenBehindEveryTime_PaymentNeverCompletesNorFails()
    {
        var options = Options();
        options.UpdateTimeout = TimeSpan.FromSeconds(2); // slack for steps under load
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);
        var v1 = peer.Bob.Latest!;
        var pay = peer.Bob.PayAsync(5);

        var wire = peer.Wire;
        for (var round = 0; round < 6; round++)
        {
            var propose = await ReceiveAsync<ProposeUpdate>(wire);
            await SendAsync(wire, new RejectUpdate(peer.Id, propose.State.Version, ErrorCode.FallenBehind, "behind"));
            if (await Task.WhenAny(pay, Task.Delay(options.UpdateTimeout * 2)) == pay)
            {
                break; // the payment ended: failed, typed (asserted below)
            }

            // Bob hangs up after UpdateTimeout; Mallory (or Bob's reconnect policy) dials again.
            using (var cts = new CancellationTokenSource(Limit))
            {
                while (await wire.ReceiveAsync(cts.Token) is not null)
                {
                }
            }

            var pair = InMemoryTransport.CreatePair(peer.Alice.Address, peer.BobParty.Address);
            peer.BobParty.Serve(pair.Second);
            wire = pair.First;
            await ReceiveAsync<Reestablish>(wire);
            await SendAsync(wire, new Reestablish(peer.Id, v1, null, null));
        }

        // Six update timeouts later the payment has neither completed nor failed.
        Assert.True(pay.IsCompleted, $"after 6 rounds ({6 * options.UpdateTimeout}) PayAsync is still pending, with no failure and no deadline");
        var failed = await Assert.ThrowsAsync<StateChannelException>(() => pay);
        Assert.Equal(ErrorCode.PeerRejected, failed.Code);
    }

    /// <summary>
    /// Goal 2 (lock funds longer than the funding timeout): the funding deadline is recomputed at
    /// every start from the record's <c>UpdatedAt</c>, and Mallory can make Bob write his record
    /// whenever she likes: a reestablish carrying a pending state she signed at Bob's next version
    /// makes him store <c>PeerSignedVersion</c>. Mallory never deposits; Bob restarts now and then (a
    /// mobile wallet, a deploy, a crash loop); before each restart Mallory reconnects once. Bob's
    /// funding never times out, so his deposit is never refunded. (The deadline is fixed when the
    /// funding task starts, from the last write: restarts closer together than half the timeout suffice.)
    /// </summary>
    [Fact]
    public async Task Funding_PeerTouchesRecordBeforeEachRestart_FundingTimeoutNeverFires_DepositLocked()
    {
        var chain = new SimulatedChain(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
        var mallory = PrivateKey.Create();
        var bobKey = PrivateKey.Create();
        var store = new InMemoryChannelStore();
        var options = Options();
        options.FundingTimeout = TimeSpan.FromSeconds(3);
        Signature Sign(ChannelState s) => mallory.Sign(Eip712.HashState(chain.Domain, s));
        OnChainChannel View(ChannelParams p) => chain.For(mallory.Address).GetChannelAsync(p).AsTask().Result;

        var life = new Life();
        var bob = await Party.CreateAsync("bob", chain, new MortalStore(store, life), options, clientTime: TimeProvider.System, keyOf: bobKey, adjudicator: new MortalAdjudicator(chain.For(bobKey.Address), life));
        var pair = InMemoryTransport.CreatePair(mallory.Address, bob.Address);
        bob.Serve(pair.Second);
        var wire = pair.First;
        var p = new ChannelParams(mallory.Address, bob.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 100, 100);
        var id = Eip712.ComputeChannelId(chain.Domain, p);
        await SendAsync(wire, new OpenRequest(p, chain.Domain));
        var v0 = ChannelState.Opening(id, p);
        await SendAsync(wire, new ProposeUpdate(v0, 0));
        var accept = await ReceiveAsync<AcceptUpdate>(wire);
        await SendAsync(wire, new ConfirmUpdate(id, 0, Sign(v0)));
        var fullV0 = new SignedState(v0, Sign(v0), accept.Signature);
        await RawPeer.WaitUntilAsync(() => View(p).Held1 == 100);
        var started = DateTime.UtcNow;

        var aborted = false;
        var where = "";
        try
        {
            for (ulong k = 1; k <= 7; k++)
            {
                // Bob restarts; Mallory reconnects with a pending state at Bob's next version.
                life.Dead = true; // the process dies: its tasks write nothing and send nothing any more
                await bob.DisposeAsync();
                life = new Life();
                bob = await Party.CreateAsync("bob", chain, new MortalStore(store, life), options, clientTime: TimeProvider.System, keyOf: bobKey, adjudicator: new MortalAdjudicator(chain.For(bobKey.Address), life));
                pair = InMemoryTransport.CreatePair(mallory.Address, bob.Address);
                bob.Serve(pair.Second);
                wire = pair.First;
                await ReceiveAsync<Reestablish>(wire);
                var pending = v0 with { Version = k };
                await SendAsync(wire, new Reestablish(id, fullV0, pending, Sign(pending)));
                var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
                while (!aborted && (await store.GetChannelAsync(id))!.PeerSignedVersion != k && DateTime.UtcNow < until)
                {
                    await Task.Delay(5);
                }

                // Once Bob has left Funding (the defence worked) he ignores her reestablish: the chain decides.
                var rec = (await store.GetChannelAsync(id))!;
                Assert.True(aborted || rec.PeerSignedVersion == k, $"round {k}: psv={rec.PeerSignedVersion} phase={rec.Phase} lastSigned={rec.LastSigned?.State.Version}");
                await Task.Delay(TimeSpan.FromSeconds(1)); // restarts a second apart: well inside the funding timeout
                if (!aborted && (bob.Client.GetChannel(id).Phase != ChannelPhase.Funding || View(p).RegisteredVersion is not null))
                {
                    aborted = true;
                    where = $"round {k}, {(DateTime.UtcNow - started).TotalSeconds:F1} s: {bob.Client.GetChannel(id).Phase}, updatedAt {((await store.GetChannelAsync(id))!.UpdatedAt - started).TotalSeconds:F1}";
                }
            }
        }
        finally
        {
            life.Dead = true;
            await bob.DisposeAsync();
        }

        var elapsed = DateTime.UtcNow - started;
        Assert.True(aborted, $"{elapsed.TotalSeconds:F1} s after both signed version 0 (funding timeout {options.FundingTimeout.TotalSeconds} s) Bob is still in Funding and nothing is registered: his deposit is locked");
    }

    /// <summary>
    /// Goal 4: Bob pays while Mallory proposes a close at the same version and wins the tie-break
    /// (version 2: participant 0). Bob drops his proposal, re-queues the payment, co-signs the final
    /// state, and Mallory confirms it: the channel is Closing, where no payment can ever be proposed.
    /// The queued payment is neither completed nor failed (Closing is reached by adoption, not by
    /// MoveAsync, so FailPendingWork never runs); it waits until a watcher happens to see the close
    /// on chain — without a watcher, forever.
    /// </summary>
    [Fact]
    public async Task PaymentRacingPeersFinalState_FinalWins_PaymentNeverFailsNorCompletes()
    {
        var options = Options();
        options.UpdateTimeout = TimeSpan.FromSeconds(2);
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);
        var v1 = peer.Bob.Latest!.State;
        var pay = peer.Bob.PayAsync(5);
        var bobs = await peer.ReceiveAsync<ProposeUpdate>();
        Assert.Equal(2UL, bobs.State.Version);

        var final = v1 with { Version = 2, IsFinal = true };
        await peer.SendAsync(new ProposeUpdate(final, 1));
        var answer = await peer.ReceiveAsync(m => true);
        Assert.True(answer is AcceptUpdate, $"Bob answered {answer}");
        await peer.SendAsync(new ConfirmUpdate(peer.Id, 2, peer.Sign(final)));
        await RawPeer.WaitUntilAsync(() => peer.Bob.Phase == ChannelPhase.Closing);

        await Task.Delay(3 * options.UpdateTimeout);
        Assert.True(pay.IsCompleted, "the channel is Closing (final state fully signed) and Bob's payment is still pending: it can never be made, and nothing fails it");
    }

    /// <summary>
    /// RecordVerifier drops a record's fully signed latest state whenever any part of the record
    /// fails, also when only the sign-once intent is bad. The latest state carries both signatures
    /// and verifies on its own: G7 says a verified copy refutes. Here Alice's record holds v5 (both
    /// signatures fine) with a damaged intent signature; after a restart her watcher has nothing to
    /// refute with, and Bob's registration of v2 (20 less for her) stands.
    /// </summary>
    [Fact]
    public async Task StoredIntentDamaged_VerifiedLatestDroppedToo_WatcherCannotRefute()
    {
        var chain = new SimulatedChain(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
        await using var alice = await Party.CreateAsync("alice", chain);
        await using var bob = await Party.CreateAsync("bob", chain);
        Party.Connect(alice, bob);
        var a = await alice.Client.OpenChannelAsync(bob.Address, 1_000, 1_000).WaitAsync(Limit);
        var b = bob.Client.GetChannel(a.Id);
        await RawPeer.WaitUntilAsync(() => b.Phase == ChannelPhase.Active);
        for (var i = 0; i < 5; i++)
        {
            await b.PayAsync(10).WaitAsync(Limit); // version 5 gives Alice 1,050
        }

        await RawPeer.WaitUntilAsync(() => a.Latest!.State.Version == 5);
        await alice.DisposeAsync();
        await bob.DisconnectAllAsync();

        // Alice's stored intent gets a bad signature (a bad write, a bug, a tool); her v5 is intact.
        var record = (await alice.Store.GetChannelAsync(a.Id))!;
        using var stranger = PrivateKey.Create();
        var damaged = record with { LastSigned = record.LastSigned! with { Signature = stranger.Sign(record.LastSigned.Digest) } };
        await alice.Store.WriteAsync(StoreBatch.Of(damaged));

        await using var restarted = await Party.CreateAsync("alice-restarted", chain, alice.Store, keyOf: alice.Key);
        await chain.For(bob.Address).RegisterAsync(a.Params, (await bob.Store.GetStateAsync(a.Id, 2))!);
        await restarted.Client.WatchOnceAsync(CancellationToken.None);
        var registered = (await chain.For(bob.Address).GetChannelAsync(a.Params)).RegisteredVersion;
        Assert.True(registered == 5, $"registered version {registered}: Alice held v5 signed by both and did not refute");
    }

    /// <summary>One process lifetime of a party: once dead, its store and chain ports refuse everything (tasks left behind do nothing).</summary>
    private sealed class Life
    {
        public volatile bool Dead;

        public void EnsureAlive()
        {
            if (Dead)
            {
                throw new StateChannelException(ErrorCode.StorageFailure, "the process is dead");
            }
        }
    }

    private sealed class MortalStore(IChannelStore inner, Life life) : DelegatingStore(inner)
    {
        public override ValueTask WriteAsync(StoreBatch batch, CancellationToken cancellationToken = default)
        {
            life.EnsureAlive();
            return Inner.WriteAsync(batch, cancellationToken);
        }
    }

    private sealed class MortalAdjudicator(IAdjudicator inner, Life life) : DelegatingAdjudicator(inner)
    {
        public override ValueTask DepositAsync(ChannelParams channel, int index, Amount expectedHeld, Amount amount, CancellationToken cancellationToken = default)
        {
            Alive();
            return Inner.DepositAsync(channel, index, expectedHeld, amount, cancellationToken);
        }

        public override ValueTask<OnChainChannel> GetChannelAsync(ChannelParams channel, CancellationToken cancellationToken = default)
        {
            Alive();
            return Inner.GetChannelAsync(channel, cancellationToken);
        }

        public override ValueTask CloseAsync(ChannelParams channel, SignedState finalState, CancellationToken cancellationToken = default)
        {
            Alive();
            return Inner.CloseAsync(channel, finalState, cancellationToken);
        }

        public override ValueTask RegisterAsync(ChannelParams channel, SignedState state, CancellationToken cancellationToken = default)
        {
            Alive();
            return Inner.RegisterAsync(channel, state, cancellationToken);
        }

        public override ValueTask ConcludeAsync(ChannelParams channel, CancellationToken cancellationToken = default)
        {
            Alive();
            return Inner.ConcludeAsync(channel, cancellationToken);
        }

        public override ValueTask WithdrawAsync(EthAddress asset, CancellationToken cancellationToken = default)
        {
            Alive();
            return Inner.WithdrawAsync(asset, cancellationToken);
        }

        private void Alive()
        {
            if (life.Dead)
            {
                throw new StateChannelException(ErrorCode.ChainRpcFailure, "the process is dead");
            }
        }
    }
}

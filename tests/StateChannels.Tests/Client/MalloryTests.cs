using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// A byzantine peer (Mallory) speaks raw protocol messages to Bob's real engine. Every bad message
/// is refused with a typed error (or drops the connection) and leaves Bob's state unchanged.
/// </summary>
public sealed class MalloryTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly SimulatedChain _chain = new(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
    private readonly PrivateKey _mallory = PrivateKey.Create();
    private Party _bob = null!;
    private InMemoryConnection _wire = null!;
    private ChannelParams _params = null!;
    private ChannelId _id;

    public async Task InitializeAsync()
    {
        _bob = await Party.CreateAsync("bob", _chain);
        var pair = InMemoryTransport.CreatePair(_mallory.Address, _bob.Address);
        _wire = pair.First;
        _bob.Serve(pair.Second);

        // Mallory opens a funded channel by the book: 100 each.
        _params = new ChannelParams(_mallory.Address, _bob.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 100, 100);
        _id = Eip712.ComputeChannelId(_chain.Domain, _params);
        await SendAsync(new OpenRequest(_params, _chain.Domain));
        var v0 = ChannelState.Opening(_id, _params);
        await SendAsync(new ProposeUpdate(v0, 0));
        var accept = await ReceiveAsync<AcceptUpdate>();
        Assert.True(Ecdsa.Verify(Eip712.HashState(_chain.Domain, v0), accept.Signature, _bob.Address));
        await SendAsync(new ConfirmUpdate(_id, 0, Sign(v0)));
        await _chain.For(_mallory.Address).DepositAsync(_params, 0, 0, 100);
        await WaitUntilAsync(() => Bob.Phase == ChannelPhase.Active);
    }

    public async Task DisposeAsync() => await _bob.DisposeAsync();

    private Channel Bob => _bob.Client.GetChannel(_id);

    private Signature Sign(ChannelState s) => _mallory.Sign(Eip712.HashState(_chain.Domain, s));

    private Task SendAsync(ProtocolMessage m) => _wire.SendAsync(MessageCodec.Encode(m)).AsTask();

    private async Task<T> ReceiveAsync<T>()
        where T : ProtocolMessage
    {
        using var cts = new CancellationTokenSource(Limit);
        while (true)
        {
            var frame = await _wire.ReceiveAsync(cts.Token) ?? throw new InvalidOperationException("connection closed");
            var m = MessageCodec.Decode(frame.Span);
            if (m is T t)
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

    private async Task<SignedState> PayBobAsync(ulong amount)
    {
        var latest = Bob.Latest!.State;
        var next = latest with { Version = latest.Version + 1, Balance0 = latest.Balance0 - amount, Balance1 = latest.Balance1 + amount };
        await SendAsync(new ProposeUpdate(next, latest.Version));
        var accept = await ReceiveAsync<AcceptUpdate>();
        await SendAsync(new ConfirmUpdate(_id, next.Version, Sign(next)));
        await WaitUntilAsync(() => Bob.Latest!.State.Version == next.Version);
        return Bob.Latest!;
    }

    public static TheoryData<string> BadProposals => new()
    {
        "skip-version", "repeat-version", "lower-version", "raise-own-balance", "change-total", "other-channel", "final-with-changed-balances", "no-op",
    };

    [Theory]
    [MemberData(nameof(BadProposals))]
    public async Task Propose_InvalidTransition_RejectedWithTypedErrorAndStateUnchanged(string kind)
    {
        var before = await PayBobAsync(10);
        var s = before.State;
        var bad = kind switch
        {
            "skip-version" => s with { Version = s.Version + 2, Balance0 = s.Balance0 - 1, Balance1 = s.Balance1 + 1 },
            "repeat-version" => s with { Balance0 = s.Balance0 - 1, Balance1 = s.Balance1 + 1 },
            "lower-version" => s with { Version = s.Version - 1, Balance0 = s.Balance0 - 2, Balance1 = s.Balance1 + 2 },
            "raise-own-balance" => s with { Version = s.Version + 1, Balance0 = s.Balance0 + 5, Balance1 = s.Balance1 - 5 },
            "change-total" => s with { Version = s.Version + 1, Balance1 = s.Balance1 + 5 },
            "other-channel" => s with { ChannelId = ChannelId.FromHash32(Hash32.CreateRandom()), Version = s.Version + 1, Balance0 = s.Balance0 - 1, Balance1 = s.Balance1 + 1 },
            "final-with-changed-balances" => s with { Version = s.Version + 1, Balance0 = s.Balance0 + 1, Balance1 = s.Balance1 - 1, IsFinal = true },
            "no-op" => s with { Version = s.Version + 1 },
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        await SendAsync(new ProposeUpdate(bad, s.Version));

        if (kind is "other-channel" or "lower-version" or "repeat-version")
        {
            // Not for this channel, or for a version already settled: ignored. Prove Bob is still
            // responsive and unchanged by completing a valid payment afterwards.
            var after = await PayBobAsync(1);
            Assert.Equal(s.Version + 1, after.State.Version);
            return;
        }

        var reject = await ReceiveAsync<RejectUpdate>();
        Assert.Equal(ErrorCode.InvalidTransition, reject.Code);
        Assert.Equal(before, Bob.Latest);
        var record = await _bob.Store.GetChannelAsync(_id);
        Assert.Equal(s.Version, record!.LastSigned!.State.Version);
    }

    [Fact]
    public async Task Confirm_WithForgedSignature_ConnectionDroppedAndStateUnchanged()
    {
        var before = await PayBobAsync(10);
        var next = before.State with { Version = before.State.Version + 1, Balance0 = before.State.Balance0 - 1, Balance1 = before.State.Balance1 + 1 };
        await SendAsync(new ProposeUpdate(next, before.State.Version));
        await ReceiveAsync<AcceptUpdate>();
        using var stranger = PrivateKey.Create();
        await SendAsync(new ConfirmUpdate(_id, next.Version, stranger.Sign(Eip712.HashState(_chain.Domain, next))));
        var frame = await _wire.ReceiveAsync(new CancellationTokenSource(Limit).Token);
        Assert.Null(frame); // Bob hung up
        Assert.Equal(before, Bob.Latest);
    }

    [Fact]
    public async Task Reestablish_HigherVersionWithInvalidSignature_RejectedNoStateChange()
    {
        var before = await PayBobAsync(10);
        var forged = before.State with { Version = 50, Balance0 = before.State.Balance0 + 10, Balance1 = before.State.Balance1 - 10 };
        await SendAsync(new Reestablish(_id, new SignedState(forged, Sign(forged), Sign(forged)), null, null));
        var frame = await _wire.ReceiveAsync(new CancellationTokenSource(Limit).Token);
        Assert.Null(frame);
        Assert.Equal(before, Bob.Latest);
    }

    [Fact]
    public async Task Reestablish_HigherVersionWithOurSignatureButNotThePeers_RejectedNoStateChange()
    {
        // THREATS B8/B9: Mallory takes Bob's signature on the next version, withholds her Confirm,
        // and presents that state as fully signed with a signature of hers that does not verify.
        // Adopted, it would be Bob's latest: his refute with it would revert on chain.
        var before = await PayBobAsync(10);
        var s = before.State;
        var next = s with { Version = s.Version + 1, Balance0 = s.Balance0 - 1, Balance1 = s.Balance1 + 1 };
        await SendAsync(new ProposeUpdate(next, s.Version));
        var bobs = (await ReceiveAsync<AcceptUpdate>()).Signature;
        using var stranger = PrivateKey.Create();
        var notMallorys = stranger.Sign(Eip712.HashState(_chain.Domain, next));
        await SendAsync(new Reestablish(_id, new SignedState(next, notMallorys, bobs), null, null));
        var frame = await _wire.ReceiveAsync(new CancellationTokenSource(Limit).Token);
        Assert.Null(frame); // Bob hung up
        Assert.Equal(before, Bob.Latest);
    }

    [Fact]
    public async Task Frames_RandomBytesAndUnknownType_ConnectionDroppedStateUnchanged()
    {
        var before = await PayBobAsync(10);
        await _wire.SendAsync(new byte[] { MessageCodec.ProtocolVersion, 77, 1, 2, 3 });
        Assert.Null(await _wire.ReceiveAsync(new CancellationTokenSource(Limit).Token));
        Assert.Equal(before, Bob.Latest);
    }

    [Fact]
    public async Task Propose_SameVersionTwiceDifferentStates_SecondRefusedSignOnceHolds()
    {
        var s = (await PayBobAsync(10)).State;
        var first = s with { Version = s.Version + 1, Balance0 = s.Balance0 - 1, Balance1 = s.Balance1 + 1 };
        var second = s with { Version = s.Version + 1, Balance0 = s.Balance0 - 2, Balance1 = s.Balance1 + 2 };
        await SendAsync(new ProposeUpdate(first, s.Version));
        var a1 = await ReceiveAsync<AcceptUpdate>();
        await SendAsync(new ProposeUpdate(second, s.Version));
        var reject = await ReceiveAsync<RejectUpdate>();
        Assert.Equal(ErrorCode.InvalidTransition, reject.Code);

        // Asked again for the first state, Bob re-sends the very same signature.
        await SendAsync(new ProposeUpdate(first, s.Version));
        var a2 = await ReceiveAsync<AcceptUpdate>();
        Assert.Equal(a1.Signature, a2.Signature);
        var record = await _bob.Store.GetChannelAsync(_id);
        Assert.Equal(first, record!.LastSigned!.State);
    }

    [Fact]
    public async Task Reestablish_PeerSignedAnotherStateAtOurLatestVersion_EquivocationAlarmedFirstKept()
    {
        var before = await PayBobAsync(10);
        var s = before.State;
        using var stop = new CancellationTokenSource(Limit);
        var alarm = FirstEventAsync<EquivocationDetected>(_bob.Client, stop.Token);

        // Mallory signs a second, different state at Bob's latest version (more money to herself)
        // and presents it as her pending state after a "reconnect".
        var other = s with { Balance0 = s.Balance0 + 5, Balance1 = s.Balance1 - 5 };
        await SendAsync(new Reestablish(_id, null, other, Sign(other)));

        var e = await alarm;
        Assert.Equal(_id, e.ChannelId);
        Assert.Equal(s.Version, e.Version);
        Assert.Equal(before, Bob.Latest);
        var record = await _bob.Store.GetChannelAsync(_id);
        Assert.Equal(before, record!.Latest);
        Assert.Equal(s, record.LastSigned!.State);
    }

    [Fact]
    public async Task Reestablish_FullySignedOtherStateAtOurLatestVersion_EquivocationAlarmedFirstKept()
    {
        // The other alarm of HandleReestablishAsync: a different state at Bob's latest version that
        // carries both signatures (Bob's key used elsewhere, e.g. a copied store). Bob keeps his.
        var before = await PayBobAsync(10);
        var s = before.State;
        using var stop = new CancellationTokenSource(Limit);
        var alarm = FirstEventAsync<EquivocationDetected>(_bob.Client, stop.Token);

        var other = s with { Balance0 = s.Balance0 + 5, Balance1 = s.Balance1 - 5 };
        var bobs = _bob.Key.Sign(Eip712.HashState(_chain.Domain, other));
        await SendAsync(new Reestablish(_id, new SignedState(other, Sign(other), bobs), null, null));

        var e = await alarm;
        Assert.Equal(_id, e.ChannelId);
        Assert.Equal(s.Version, e.Version);
        Assert.Equal(before, Bob.Latest);
        Assert.Equal(before, (await _bob.Store.GetChannelAsync(_id))!.Latest);
    }

    /// <summary>Subscribes now (before the caller acts) and completes with the first event of type <typeparamref name="T"/>.</summary>
    internal static Task<T> FirstEventAsync<T>(StateChannelClient client, CancellationToken cancellationToken)
        where T : ChannelEvent
    {
        // GetAsyncEnumerator + the first MoveNextAsync run synchronously up to the first wait,
        // which registers the reader before this method returns.
        var events = client.EventsAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        var first = events.MoveNextAsync();
        return WaitAsync(events, first);

        static async Task<T> WaitAsync(IAsyncEnumerator<ChannelEvent> events, ValueTask<bool> next)
        {
            await using (events)
            {
                while (await next)
                {
                    if (events.Current is T t)
                    {
                        return t;
                    }

                    next = events.MoveNextAsync();
                }
            }

            throw new InvalidOperationException("event stream ended");
        }
    }
}

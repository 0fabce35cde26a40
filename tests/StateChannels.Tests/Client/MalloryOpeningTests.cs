using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// A byzantine opener (Mallory) against Bob's real engine, before the channel is funded:
/// griefing with opens that never complete (THREATS B11) and underfunding (B12).
/// </summary>
public sealed class MalloryOpeningTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly SimulatedChain _chain = new(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
    private readonly PrivateKey _mallory = PrivateKey.Create();
    private Party _bob = null!;
    private InMemoryConnection _wire = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_bob is not null)
        {
            await _bob.DisposeAsync();
        }
    }

    private async Task StartBobAsync(int maxChannelsPerPeer = 1_000)
    {
        var options = Party.FastOptions();
        options.MaxChannelsPerPeer = maxChannelsPerPeer;
        _bob = await Party.CreateAsync("bob", _chain, options: options);
        var pair = InMemoryTransport.CreatePair(_mallory.Address, _bob.Address);
        _wire = pair.First;
        _bob.Serve(pair.Second);
    }

    private ChannelParams NewParams() =>
        new(_mallory.Address, _bob.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 100, 100);

    private ChannelId IdOf(ChannelParams p) => Eip712.ComputeChannelId(_chain.Domain, p);

    private Signature Sign(ChannelState s) => _mallory.Sign(Eip712.HashState(_chain.Domain, s));

    private Task SendAsync(ProtocolMessage m) => _wire.SendAsync(MessageCodec.Encode(m)).AsTask();

    private async Task<T> ReceiveAsync<T>(Func<T, bool>? match = null)
        where T : ProtocolMessage
    {
        using var cts = new CancellationTokenSource(Limit);
        while (true)
        {
            var frame = await _wire.ReceiveAsync(cts.Token) ?? throw new InvalidOperationException("connection closed");
            if (MessageCodec.Decode(frame.Span) is T t && (match is null || match(t)))
            {
                return t;
            }
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow + Limit;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in time");
            await Task.Delay(5);
        }
    }

    /// <summary>Mallory's open request and version 0 by the book; Bob answers with his signature on v0.</summary>
    private async Task<ChannelState> ProposeOpeningAsync(ChannelParams p)
    {
        await SendAsync(new OpenRequest(p, _chain.Domain));
        var v0 = ChannelState.Opening(IdOf(p), p);
        await SendAsync(new ProposeUpdate(v0, 0));
        var accept = await ReceiveAsync<AcceptUpdate>(a => a.ChannelId == v0.ChannelId);
        Assert.True(Ecdsa.Verify(Eip712.HashState(_chain.Domain, v0), accept.Signature, _bob.Address));
        return v0;
    }

    private async Task<Amount> BobHeldAsync(ChannelParams p) => (await _chain.For(_bob.Address).GetChannelAsync(p)).Held1;

    [Fact]
    public async Task Open_MoreChannelsThanMaxChannelsPerPeer_RefusedAndNoDepositBeforeV0()
    {
        await StartBobAsync(maxChannelsPerPeer: 3);

        // Three opens that Mallory abandons: one never proposes version 0, two never confirm it.
        var abandoned = new[] { NewParams(), NewParams(), NewParams() };
        await SendAsync(new OpenRequest(abandoned[0], _chain.Domain));
        var v0 = await ProposeOpeningAsync(abandoned[1]);
        await ProposeOpeningAsync(abandoned[2]);

        // A fourth is refused: Bob's resources per peer are bounded.
        var fourth = NewParams();
        await SendAsync(new OpenRequest(fourth, _chain.Domain));
        var reject = await ReceiveAsync<RejectUpdate>(r => r.ChannelId == IdOf(fourth));
        Assert.Equal(ErrorCode.InvalidParams, reject.Code);
        Assert.Contains("too many", reject.Reason, StringComparison.Ordinal);
        Assert.Equal(3, _bob.Client.Channels.Count);

        // Bob signed version 0 of two channels, but Mallory never countersigned: no deposit.
        // Control: once she confirms one, Bob does deposit into that one (so a deposit would be seen).
        await SendAsync(new ConfirmUpdate(v0.ChannelId, 0, Sign(v0)));
        await WaitUntilAsync(async () => await BobHeldAsync(abandoned[1]) == 100);
        Assert.Equal(Amount.Zero, await BobHeldAsync(abandoned[0]));
        Assert.Equal(Amount.Zero, await BobHeldAsync(abandoned[2]));
    }

    [Theory]
    [InlineData("less")]
    [InlineData("other-channel")]
    [InlineData("none")]
    public async Task Propose_PaymentWhilePeerUnderfunded_RejectedWithWrongPhase(string how)
    {
        await StartBobAsync();
        var p = NewParams();
        var v0 = await ProposeOpeningAsync(p);
        await SendAsync(new ConfirmUpdate(v0.ChannelId, 0, Sign(v0)));
        var mallory = _chain.For(_mallory.Address);
        switch (how)
        {
            case "less":
                await mallory.DepositAsync(p, 0, 0, 99);
                break;
            case "other-channel":
                // The right amount, but into another channel of the same pair (another nonce).
                var other = new ChannelParams(p.Participant0, p.Participant1, p.Asset, p.ChallengeDuration, Hash32.CreateRandom(), p.Funding0, p.Funding1);
                await mallory.DepositAsync(other, 0, 0, 100);
                break;
        }

        await WaitUntilAsync(async () => await BobHeldAsync(p) == 100);
        var bob = _bob.Client.GetChannel(v0.ChannelId);
        Assert.Equal(ChannelPhase.Funding, bob.Phase);

        // Mallory "pays" Bob at version 1 so that he would sign it: he refuses while underfunded.
        var v1 = v0 with { Version = 1, Balance0 = v0.Balance0 - 1, Balance1 = v0.Balance1 + 1 };
        await SendAsync(new ProposeUpdate(v1, 0));
        var reject = await ReceiveAsync<RejectUpdate>(r => r.ChannelId == v0.ChannelId);
        Assert.Equal(ErrorCode.WrongPhase, reject.Code);
        var record = await _bob.Store.GetChannelAsync(v0.ChannelId);
        Assert.Equal(0UL, record!.LastSigned!.State.Version);
        Assert.Equal(0UL, bob.Latest!.State.Version);

        // Nor does Bob pay into it.
        var e = await Assert.ThrowsAsync<StateChannelException>(() => bob.PayAsync(1));
        Assert.Equal(ErrorCode.WrongPhase, e.Code);
    }
}

using Microsoft.Extensions.Time.Testing;
using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// THREATS B6: Mallory takes Bob's signature on version n+1 and withholds her Confirm for ever.
/// Bob stops waiting (update timeout), disputes with version n — never with the half-signed n+1 —
/// and Mallory cannot win with any state Bob did not sign as it was: the only one she holds pays
/// Bob more than n.
/// </summary>
public sealed class WithheldSignatureTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _blockTime = new(DateTimeOffset.UtcNow);
    private readonly SimulatedChain _chain;
    private readonly PrivateKey _mallory = PrivateKey.Create();
    private Party _bob = null!;
    private InMemoryConnection _wire = null!;
    private ChannelParams _params = null!;
    private ChannelId _id;

    public WithheldSignatureTests() =>
        _chain = new SimulatedChain(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")), _blockTime);

    public async Task InitializeAsync()
    {
        var options = Party.FastOptions();
        options.UpdateTimeout = TimeSpan.FromSeconds(1);
        _bob = await Party.CreateAsync("bob", _chain, options: options, clientTime: TimeProvider.System);
        var pair = InMemoryTransport.CreatePair(_mallory.Address, _bob.Address);
        _wire = pair.First;
        _bob.Serve(pair.Second);
        _params = new ChannelParams(_mallory.Address, _bob.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 100, 100);
        _id = Eip712.ComputeChannelId(_chain.Domain, _params);
        await SendAsync(new OpenRequest(_params, _chain.Domain));
        var v0 = ChannelState.Opening(_id, _params);
        await SendAsync(new ProposeUpdate(v0, 0));
        await ReceiveAsync<AcceptUpdate>();
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

    private OnChainChannel OnChain => _chain.For(_bob.Address).GetChannelAsync(_params).AsTask().Result;

    [Fact]
    public async Task ConfirmWithheld_BobDisputesWithLatestFullySigned_MalloryCannotWinBelowIt()
    {
        // Version 1 by the book: Bob holds 110.
        var v0 = Bob.Latest!.State;
        var v1 = v0 with { Version = 1, Balance0 = 90, Balance1 = 110 };
        await SendAsync(new ProposeUpdate(v1, 0));
        await ReceiveAsync<AcceptUpdate>();
        await SendAsync(new ConfirmUpdate(_id, 1, Sign(v1)));
        await WaitUntilAsync(() => Bob.Latest!.State.Version == 1);

        // Version 2 (Bob 115): Bob signs, Mallory keeps his signature and never confirms.
        var v2 = v1 with { Version = 2, Balance0 = 85, Balance1 = 115 };
        await SendAsync(new ProposeUpdate(v2, 1));
        var bobOnV2 = (await ReceiveAsync<AcceptUpdate>()).Signature;
        Assert.Null(await _wire.ReceiveAsync(new CancellationTokenSource(Limit).Token)); // Bob's update timeout hangs up
        Assert.Equal(1UL, Bob.Latest!.State.Version);

        // Bob disputes with version 1, his latest fully signed state — not the half-signed 2.
        using var stop = new CancellationTokenSource(Limit);
        var force = Bob.ForceCloseAsync(stop.Token);
        await WaitUntilAsync(() => OnChain.RegisteredVersion == 1);

        // Mallory cannot reuse Bob's signature on another state (a v3 back at 100/100) ...
        var v3 = v1 with { Version = 3, Balance0 = 100, Balance1 = 100 };
        var forged = await Assert.ThrowsAsync<StateChannelException>(
            () => _chain.For(_mallory.Address).RegisterAsync(_params, new SignedState(v3, Sign(v3), bobOnV2)).AsTask());
        Assert.Equal(ErrorCode.TransactionFailed, forged.Code);

        // ... and the only state she can complete with it pays Bob more than version 1.
        await _chain.For(_mallory.Address).RegisterAsync(_params, new SignedState(v2, Sign(v2), bobOnV2));
        _blockTime.Advance(TimeSpan.FromSeconds(3601));
        await force.WaitAsync(Limit);
        Assert.Equal(ChannelPhase.Closed, Bob.Phase);
        Assert.Equal(new Amount(115), _chain.BalanceOf(_bob.Address, EthAddress.Zero));
        Assert.Equal(new Amount(85), _chain.BalanceOf(_mallory.Address, EthAddress.Zero));
    }
}

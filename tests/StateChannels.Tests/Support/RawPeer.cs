using StateChannels.Protocol;
using StateChannels.Testing;

namespace StateChannels.Tests.Support;

/// <summary>
/// Alice played by raw protocol messages against Bob's real engine, over one in-memory connection:
/// the test decides what Bob receives and in which order. <see cref="OpenAsync"/> opens and funds a
/// channel (100 each) by the book and pays Bob 10 at version 1.
/// </summary>
internal sealed class RawPeer : IAsyncDisposable
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private RawPeer(SimulatedChain chain, PrivateKey alice, Party bob, InMemoryConnection wire, EventLog events)
    {
        Chain = chain;
        Alice = alice;
        BobParty = bob;
        Wire = wire;
        Events = events;
    }

    public SimulatedChain Chain { get; }

    public PrivateKey Alice { get; }

    public Party BobParty { get; }

    public InMemoryConnection Wire { get; }

    /// <summary>Bob's events, collected from before the channel was opened.</summary>
    public EventLog Events { get; }

    public ChannelParams Params { get; private set; } = null!;

    public ChannelId Id { get; private set; }

    /// <summary>Bob's side of the channel.</summary>
    public Channel Bob => BobParty.Client.GetChannel(Id);

    public static async Task<RawPeer> OpenAsync(IChannelStore bobStore, StateChannelClientOptions? bobOptions = null)
    {
        var chain = new SimulatedChain(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
        var alice = PrivateKey.Create();
        var bob = await Party.CreateAsync("bob", chain, bobStore, bobOptions);
        var events = new EventLog(bob.Client);
        var pair = InMemoryTransport.CreatePair(alice.Address, bob.Address);
        bob.Serve(pair.Second);
        var peer = new RawPeer(chain, alice, bob, pair.First, events);
        await peer.OpenChannelAsync();
        return peer;
    }

    public async ValueTask DisposeAsync()
    {
        await Events.DisposeAsync();
        await BobParty.DisposeAsync();
        Alice.Dispose();
    }

    public Signature Sign(ChannelState s) => Alice.Sign(Eip712.HashState(Chain.Domain, s));

    public static ChannelState Pay(ChannelState s, ulong toBob) =>
        s with { Version = s.Version + 1, Balance0 = s.Balance0 - toBob, Balance1 = s.Balance1 + toBob };

    public Task SendAsync(ProtocolMessage m) => Wire.SendAsync(MessageCodec.Encode(m)).AsTask();

    /// <summary>The next message of type <typeparamref name="T"/> from Bob (others are skipped).</summary>
    public async Task<T> ReceiveAsync<T>()
        where T : ProtocolMessage => (T)await ReceiveAsync(m => m is T);

    /// <summary>The next message from Bob that <paramref name="match"/> accepts (others are skipped).</summary>
    public async Task<ProtocolMessage> ReceiveAsync(Func<ProtocolMessage, bool> match)
    {
        using var cts = new CancellationTokenSource(Limit);
        while (true)
        {
            var frame = await Wire.ReceiveAsync(cts.Token) ?? throw new InvalidOperationException("connection closed");
            var message = MessageCodec.Decode(frame.Span);
            if (match(message))
            {
                return message;
            }
        }
    }

    /// <summary>Asserts that Bob hangs up without sending a message of type <typeparamref name="T"/> first.</summary>
    public async Task AssertHungUpWithoutAsync<T>()
        where T : ProtocolMessage
    {
        using var cts = new CancellationTokenSource(Limit);
        while (await Wire.ReceiveAsync(cts.Token) is { } frame)
        {
            Assert.IsNotType<T>(MessageCodec.Decode(frame.Span));
        }
    }

    /// <summary>Versions of Bob's <see cref="PaymentReceived"/> events so far.</summary>
    public List<ulong> Received() =>
        [.. Events.Snapshot().OfType<PaymentReceived>().Where(e => e.ChannelId == Id).Select(e => e.Version)];

    public static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in time");
            await Task.Delay(5);
        }
    }

    private async Task OpenChannelAsync()
    {
        Params = new ChannelParams(Alice.Address, BobParty.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 100, 100);
        Id = Eip712.ComputeChannelId(Chain.Domain, Params);
        await SendAsync(new OpenRequest(Params, Chain.Domain));
        var v0 = ChannelState.Opening(Id, Params);
        await SendAsync(new ProposeUpdate(v0, 0));
        await ReceiveAsync<AcceptUpdate>();
        await SendAsync(new ConfirmUpdate(Id, 0, Sign(v0)));
        await Chain.For(Alice.Address).DepositAsync(Params, 0, 0, 100);
        await WaitUntilAsync(() => Bob.Phase == ChannelPhase.Active);

        var v1 = Pay(v0, 10);
        await SendAsync(new ProposeUpdate(v1, 0));
        await ReceiveAsync<AcceptUpdate>();
        await SendAsync(new ConfirmUpdate(Id, 1, Sign(v1)));
        await WaitUntilAsync(() => Bob.Latest?.State.Version == 1);
    }
}

using System.Collections.Concurrent;
using System.Numerics;
using StateChannels.Ethereum;
using StateChannels.Net;

namespace StateChannels.Integration.Tests.Lifecycle.Support;

/// <summary>
/// Mallory as a raw protocol peer: she dials the victim over authenticated loopback TCP (the real
/// StateChannels.Net transport, the victim's client serving the accepted end) and writes the wire
/// messages herself (<see cref="RawWire"/>), so the test decides what the victim receives and when.
/// She has her own funded anvil account and her own <see cref="EthereumAdjudicator"/> for on-chain
/// actions; one key signs her states and pays her transactions. Every message from the victim is
/// recorded in <see cref="Received"/>.
/// </summary>
public sealed class RawMallory : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TcpChannelListener _listener;
    private readonly TcpMessageConnection _connection;
    private readonly Task _reader;

    private RawMallory(PrivateKey key, EthereumAdjudicator chain, TcpChannelListener listener, TcpMessageConnection connection)
    {
        Key = key;
        Chain = chain;
        _listener = listener;
        _connection = connection;
        _reader = ReadAsync();
    }

    public PrivateKey Key { get; }

    public EthAddress Address => Key.Address;

    /// <summary>Her own adjudicator client (sends from <see cref="Address"/>).</summary>
    public EthereumAdjudicator Chain { get; }

    public Eip712Domain Domain => Chain.Domain;

    /// <summary>Every message the victim sent her, in order.</summary>
    public ConcurrentQueue<RawMessage> Received { get; } = new();

    /// <summary>Why the reading of the victim's messages ended, if it did.</summary>
    public Exception? Ended { get; private set; }

    /// <summary>A funded account of <paramref name="chain"/> for Mallory, connected to <paramref name="victim"/> (who serves the connection).</summary>
    public static async Task<RawMallory> ConnectAsync(LifecycleChain chain, LifecycleParty victim)
    {
        var key = PrivateKey.Parse(chain.NextFundedKey());
        var adjudicator = await EthereumAdjudicator.ConnectAsync(chain.Node.RpcUrl, chain.Adjudicator, key, LifecycleChain.FastOptions());
        var listener = new TcpChannelListener(new PrivateKeySigner(victim.Key), adjudicator.Domain);
        var accept = listener.AcceptAsync();
        var dialled = await new TcpChannelDialer(new PrivateKeySigner(key), adjudicator.Domain).ConnectAsync(listener.PeerAddress, victim.Address);
        var accepted = await accept.AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(key.Address, accepted.Peer);
        victim.Serve(accepted);
        return new RawMallory(key, adjudicator, listener, dialled);
    }

    /// <summary>Params of a channel Mallory opens with <paramref name="victim"/> (she is participant 0), ETH.</summary>
    public ChannelParams NewParams(EthAddress victim, TimeSpan challenge, BigInteger myFunding, BigInteger victimFunding) =>
        new(Address, victim, EthAddress.Zero, (ulong)challenge.TotalSeconds, Hash32.CreateRandom(), Amount.FromWei(myFunding), Amount.FromWei(victimFunding));

    public ChannelId IdOf(ChannelParams p) => Eip712.ComputeChannelId(Domain, p);

    public Signature Sign(ChannelState s) => Key.Sign(Eip712.HashState(Domain, s));

    /// <summary>The open request and version 0, sent back to back as the SDK's opener does.</summary>
    public async Task<ChannelState> OpenAsync(ChannelParams p)
    {
        await SendAsync(RawWire.EncodeOpen(p, Domain));
        var v0 = ChannelState.Opening(IdOf(p), p);
        await SendAsync(RawWire.EncodePropose(v0, 0));
        return v0;
    }

    public Task ProposeAsync(ChannelState s, ulong baseVersion) => SendAsync(RawWire.EncodePropose(s, baseVersion));

    /// <summary>Her signature on <paramref name="s"/> as a Confirm.</summary>
    public Task ConfirmAsync(ChannelState s) => SendAsync(RawWire.EncodeConfirm(s.ChannelId, s.Version, Sign(s)));

    /// <summary>The first recorded message from the victim that matches, or null after <paramref name="within"/>.</summary>
    public async Task<RawMessage?> WaitForAsync(Func<RawMessage, bool> match, TimeSpan within)
    {
        var until = DateTime.UtcNow + within;
        while (true)
        {
            if (Received.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            if (DateTime.UtcNow >= until)
            {
                return null;
            }

            await Task.Delay(10);
        }
    }

    /// <summary>The victim's answer (Accept or Reject) to version <paramref name="version"/> of <paramref name="id"/>, or null if none came.</summary>
    public Task<RawMessage?> AnswerToAsync(ChannelId id, ulong version, TimeSpan within) =>
        WaitForAsync(m => m.ChannelId == id && m.Version == version && (m.IsAccept || m.IsReject), within);

    /// <summary>The fully signed state from the victim's Accept and her own signature.</summary>
    public SignedState FullySigned(ChannelState s, RawMessage accept)
    {
        Assert.True(accept.IsAccept && accept.Signature is not null, $"not an Accept: {accept}");
        return new SignedState(s, Sign(s), accept.Signature!.Value);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _connection.DisposeAsync();
        try
        {
            await _reader.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
        }

        await _listener.DisposeAsync();
        Key.Dispose();
        _stop.Dispose();
    }

    private Task SendAsync(byte[] frame) => _connection.SendAsync(frame).AsTask();

    private async Task ReadAsync()
    {
        try
        {
            while (await _connection.ReceiveAsync(_stop.Token) is { } frame)
            {
                Received.Enqueue(RawWire.Decode(frame.Span));
            }
        }
        catch (Exception e)
        {
            // The connection ended (or a frame could not be read): recorded, the test decides.
            Ended = e;
        }
    }
}

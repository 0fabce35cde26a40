namespace StateChannels.Net.Tests.Support;

/// <summary>
/// A listener and one raw peer that completed the handshake honestly: the starting point of every
/// test that then misbehaves at the frame level.
/// </summary>
internal sealed class RawSession : IAsyncDisposable
{
    private readonly Identity _server;

    private RawSession(Identity server, Identity client, TcpChannelListener listener, RawPeer raw, TcpMessageConnection accepted)
    {
        _server = server;
        Client = client;
        Listener = listener;
        Raw = raw;
        Accepted = accepted;
    }

    /// <summary>The raw peer's identity.</summary>
    public Identity Client { get; }

    public TcpChannelListener Listener { get; }

    /// <summary>The authenticated raw peer (the test's hands on the wire).</summary>
    public RawPeer Raw { get; }

    /// <summary>The listener's end of the connection: the side under test.</summary>
    public TcpMessageConnection Accepted { get; }

    public static async Task<RawSession> StartAsync(TcpTransportOptions? options = null)
    {
        var server = new Identity();
        var client = new Identity();
        var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: options ?? TestOptions.Fast());
        RawPeer raw = await RawPeer.ConnectAsync(listener.PeerAddress);
        await raw.AuthenticateAsync(client);
        TcpMessageConnection accepted = await listener.AcceptAsync();
        return new RawSession(server, client, listener, raw, accepted);
    }

    public void Deconstruct(out RawPeer raw, out TcpMessageConnection accepted)
    {
        raw = Raw;
        accepted = Accepted;
    }

    public async ValueTask DisposeAsync()
    {
        await Accepted.DisposeAsync();
        await Raw.DisposeAsync();
        await Listener.DisposeAsync();
        _server.Dispose();
        Client.Dispose();
    }
}

namespace StateChannels.Net.Tests.Support;

/// <summary>A listener, a dialer and one authenticated connection between them.</summary>
internal sealed class TcpPair : IAsyncDisposable
{
    private TcpPair(Identity server, Identity client, TcpChannelListener listener, TcpMessageConnection clientSide, TcpMessageConnection serverSide)
    {
        Server = server;
        Client = client;
        Listener = listener;
        ClientSide = clientSide;
        ServerSide = serverSide;
    }

    public Identity Server { get; }

    public Identity Client { get; }

    public TcpChannelListener Listener { get; }

    /// <summary>The dialer's end (its Peer is the server).</summary>
    public TcpMessageConnection ClientSide { get; }

    /// <summary>The listener's end (its Peer is the client).</summary>
    public TcpMessageConnection ServerSide { get; }

    public static async Task<TcpPair> CreateAsync(TcpTransportOptions? options = null)
    {
        options ??= TestOptions.Fast();
        var server = new Identity();
        var client = new Identity();
        var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: options);
        var dialer = new TcpChannelDialer(client.Signer, Identity.Domain, options);
        using var timeout = new CancellationTokenSource(TestOptions.Patience);
        Task<TcpMessageConnection> accept = listener.AcceptAsync(timeout.Token).AsTask();
        TcpMessageConnection clientSide = await dialer.ConnectAsync(listener.PeerAddress, server.Address, timeout.Token);
        TcpMessageConnection serverSide = await accept;
        return new TcpPair(server, client, listener, clientSide, serverSide);
    }

    public async ValueTask DisposeAsync()
    {
        await ClientSide.DisposeAsync();
        await ServerSide.DisposeAsync();
        await Listener.DisposeAsync();
        Server.Dispose();
        Client.Dispose();
    }
}

using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StateChannels.Net.Tests.Support;

namespace StateChannels.Net.WebSockets.Tests.Support;

/// <summary>
/// A real Kestrel server on 127.0.0.1 (a free port) mapping <c>/channels</c> to a <see cref="WebSocketChannelServer"/>.
/// By default each authenticated connection is queued for <see cref="AcceptAsync"/> and kept until the test disposes it or the hub stops; a test may
/// pass its own handler instead (e.g. a client's RunConnectionAsync).
/// </summary>
internal sealed class KestrelHub : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<WebSocketMessageConnection> _accepted = System.Threading.Channels.Channel.CreateUnbounded<WebSocketMessageConnection>();

    private KestrelHub(WebApplication app, WebSocketChannelServer server, Identity identity, Uri baseUri)
    {
        _app = app;
        Server = server;
        Identity = identity;
        BaseUri = baseUri;
    }

    public WebSocketChannelServer Server { get; }

    /// <summary>The hub's channel key (disposed with the hub).</summary>
    public Identity Identity { get; }

    /// <summary><c>http://127.0.0.1:port</c>.</summary>
    public Uri BaseUri { get; }

    /// <summary>The endpoint's <c>ws://</c> URI.</summary>
    public Uri ChannelsUri => new($"ws://{BaseUri.Authority}/channels");

    /// <summary>What a dialer needs: <c>key@ws://127.0.0.1:port/channels</c>.</summary>
    public WebSocketPeerAddress PeerAddress => Server.PeerAddress(ChannelsUri);

    public static async Task<KestrelHub> StartAsync(
        TcpTransportOptions options, Identity? identity = null, Func<WebSocketMessageConnection, CancellationToken, Task>? handler = null)
    {
        identity ??= new Identity();
        var server = new WebSocketChannelServer(identity.Signer, Identity.Domain, options);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        WebApplication app = builder.Build();
        KestrelHub? hub = null;
        app.MapStateChannels("/channels", server, handler ?? ((connection, ct) => hub!.QueueAsync(connection, ct)));
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        hub = new KestrelHub(app, server, identity, new Uri(address));
        return hub;
    }

    public async Task<WebSocketMessageConnection> AcceptAsync()
    {
        using var timeout = new CancellationTokenSource(TestOptions.Patience);
        return await _accepted.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>A raw peer that opened a WebSocket and (unless <paramref name="key"/> is null) completed the Noise acts.</summary>
    public async Task<RawPeer> ConnectRawAsync(bool noise = true)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(ChannelsUri, CancellationToken.None);
        return await RawPeer.OverAsync(new WebSocketByteStream(socket), socket, noise ? Server.NoiseKey : null);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Identity.Dispose();
    }

    private async Task QueueAsync(WebSocketMessageConnection connection, CancellationToken cancellationToken)
    {
        _accepted.Writer.TryWrite(connection);

        // Held until the hub stops, not until the connection closes: the server disposes a connection
        // when its handler returns, which drops what the test has not read yet (a race seen once in
        // a dozen runs: the client's last message, sent just before it closed, read back as null).
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }
}

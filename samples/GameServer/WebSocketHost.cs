using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StateChannels;
using StateChannels.Net;
using StateChannels.Net.WebSockets;

namespace GameServer;

/// <summary>
/// --websocket: the hub as an ASP.NET Core app on 127.0.0.1 (a free port) with one endpoint, <c>/channels</c>, as it
/// would sit behind an HTTPS ingress. Players dial <see cref="PeerAddress"/> (<c>key@ws://127.0.0.1:port/channels</c>).
/// </summary>
internal sealed class WebSocketHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly WebSocketChannelServer _server;

    private WebSocketHost(WebApplication app, WebSocketChannelServer server, WebSocketPeerAddress peerAddress)
    {
        _app = app;
        _server = server;
        PeerAddress = peerAddress;
    }

    public WebSocketPeerAddress PeerAddress { get; }

    public static async Task<WebSocketHost> StartAsync(
        IChannelSigner signer, Eip712Domain domain, TcpTransportOptions options, StateChannelClient client, CancellationToken cancellationToken)
    {
        var server = new WebSocketChannelServer(signer, domain, options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapStateChannels("/channels", server, client);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var uri = new UriBuilder(address) { Scheme = Uri.UriSchemeWs, Path = "/channels" }.Uri;
        return new WebSocketHost(app, server, server.PeerAddress(uri));
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync().ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}

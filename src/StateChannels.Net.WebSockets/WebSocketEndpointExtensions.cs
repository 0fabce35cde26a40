using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace StateChannels.Net.WebSockets;

/// <summary>Maps the StateChannels WebSocket endpoint into an ASP.NET Core app.</summary>
public static class WebSocketEndpointExtensions
{
    /// <summary>
    /// Accepts WebSocket upgrades at <paramref name="pattern"/>, authenticates each (see <see cref="WebSocketChannelServer"/>)
    /// and runs <paramref name="handler"/> with the connection. The connection lives as long as the handler runs and is
    /// disposed when it returns; the handler's token is cancelled when the client goes away or <paramref name="server"/>
    /// is disposed. Non-WebSocket requests get 426. The WebSockets middleware is added for this endpoint only.
    /// </summary>
    /// <param name="endpoints">The app's route builder.</param>
    /// <param name="pattern">The route, e.g. <c>/channels</c>.</param>
    /// <param name="server">The signing key, Noise key, options and limits to serve with.</param>
    /// <param name="handler">What to do with each authenticated connection, typically <see cref="StateChannelClient.RunConnectionAsync"/>.</param>
    /// <returns>The endpoint's convention builder (authorization, host filters, and so on).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IEndpointConventionBuilder MapStateChannels(
        this IEndpointRouteBuilder endpoints, string pattern, WebSocketChannelServer server, Func<WebSocketMessageConnection, CancellationToken, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(handler);
        IApplicationBuilder app = endpoints.CreateApplicationBuilder();

        // Our own ping frames keep connections alive: no WebSocket pings on top.
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        app.Run(context => server.HandleAsync(context, handler));
        return endpoints.Map(pattern, app.Build()).WithDisplayName($"StateChannels WebSocket {pattern}");
    }

    /// <summary>Like the handler overload, serving every connection with <paramref name="client"/>'s <see cref="StateChannelClient.RunConnectionAsync"/>.</summary>
    /// <param name="endpoints">The app's route builder.</param>
    /// <param name="pattern">The route, e.g. <c>/channels</c>.</param>
    /// <param name="server">The signing key (the client's), Noise key, options and limits to serve with.</param>
    /// <param name="client">The client whose channels the connections carry.</param>
    /// <returns>The endpoint's convention builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IEndpointConventionBuilder MapStateChannels(this IEndpointRouteBuilder endpoints, string pattern, WebSocketChannelServer server, StateChannelClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return endpoints.MapStateChannels(pattern, server, client.RunConnectionAsync);
    }
}

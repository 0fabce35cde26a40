using System.Net;
using System.Net.Sockets;

namespace StateChannels.Net.Tests.Support;

/// <summary>A raw TCP listener on 127.0.0.1 that hands out <see cref="RawPeer"/>s, to play a misbehaving listener.</summary>
internal sealed class RawListener : IDisposable
{
    private readonly TcpListener _listener;

    public RawListener()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public async Task<RawPeer> AcceptAsync(CancellationToken cancellationToken = default) =>
        new(await _listener.AcceptSocketAsync(cancellationToken));

    public void Dispose() => _listener.Stop();

    /// <summary>A port that was free a moment ago (for "listener appears later" tests).</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}

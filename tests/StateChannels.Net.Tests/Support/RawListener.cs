using System.Net;
using System.Net.Sockets;
using StateChannels.Net.Noise;

namespace StateChannels.Net.Tests.Support;

/// <summary>A raw TCP listener on 127.0.0.1 that hands out <see cref="RawPeer"/>s, to play a misbehaving listener.</summary>
internal sealed class RawListener : IDisposable
{
    private readonly TcpListener _listener;
    private readonly NoiseStaticKey? _key;

    public RawListener(TransportEncryption encryption)
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _key = encryption == TransportEncryption.Noise ? NoiseStaticKey.Create() : null;
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>What a dialer needs: the end point and, over Noise, this listener's static key.</summary>
    public TcpPeerAddress PeerAddress => new(EndPoint, _key?.PublicKey);

    /// <summary>The next connection; over Noise, after answering the dialer's acts.</summary>
    public async Task<RawPeer> AcceptAsync(CancellationToken cancellationToken = default) =>
        await RawPeer.AcceptedAsync(await _listener.AcceptSocketAsync(cancellationToken), _key);

    public void Dispose()
    {
        _listener.Stop();
        _key?.Dispose();
    }

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

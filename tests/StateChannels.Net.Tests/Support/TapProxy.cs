using System.Net;
using System.Net.Sockets;

namespace StateChannels.Net.Tests.Support;

/// <summary>An on-path observer: a TCP proxy on 127.0.0.1 that forwards one connection to a target and records every byte both ways.</summary>
internal sealed class TapProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly MemoryStream _captured = new();
    private readonly Lock _lock = new();
    private readonly Task _pump;

    public TapProxy(IPEndPoint target)
    {
        _listener.Start();
        _pump = Task.Run(async () =>
        {
            using Socket inbound = await _listener.AcceptSocketAsync();
            using var outbound = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await outbound.ConnectAsync(target);
            await Task.WhenAny(CopyAsync(inbound, outbound), CopyAsync(outbound, inbound));
        });
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Everything that crossed the proxy so far, both directions interleaved.</summary>
    public byte[] Captured()
    {
        lock (_lock)
        {
            return _captured.ToArray();
        }
    }

    public void Dispose() => _listener.Stop();

    private async Task CopyAsync(Socket from, Socket to)
    {
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer)) > 0)
            {
                lock (_lock)
                {
                    _captured.Write(buffer, 0, read);
                }

                await to.SendAsync(buffer.AsMemory(0, read));
            }
        }
        catch (SocketException)
        {
            // One side went away.
        }
        finally
        {
            try
            {
                to.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
            }
        }
    }
}

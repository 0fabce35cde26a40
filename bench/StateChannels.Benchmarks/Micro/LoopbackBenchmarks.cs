using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;

namespace StateChannels.Benchmarks.Micro;

/// <summary>
/// One round trip of a Propose-sized frame over TCP on 127.0.0.1 (Nagle off, async on both ends,
/// the echo on another thread): the two loopback hops of an update's critical path
/// (Propose out, Accept back). Both ends live in this process; across two processes the kernel
/// path is the same.
/// </summary>
public class LoopbackBenchmarks
{
    private const int FrameSize = 160;

    private readonly byte[] _frame = new byte[FrameSize];
    private readonly byte[] _reply = new byte[FrameSize];
    private Socket _client = null!;
    private Socket _server = null!;
    private CancellationTokenSource _stop = null!;
    private Task _echo = Task.CompletedTask;

    [GlobalSetup]
    public void Setup()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _client.Connect(listener.LocalEndPoint!);
        _server = listener.Accept();
        _server.NoDelay = true;
        _stop = new CancellationTokenSource();
        _echo = Task.Run(() => EchoAsync(_server, _stop.Token));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop.Cancel();
        _client.Dispose();
        _server.Dispose();
        try
        {
            _echo.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The echo loop ends with the sockets.
        }

        _stop.Dispose();
    }

    [Benchmark]
    public async Task RoundTripTcp()
    {
        await _client.SendAsync(_frame, SocketFlags.None).ConfigureAwait(false);
        await ReceiveExactlyAsync(_client, _reply, CancellationToken.None).ConfigureAwait(false);
    }

    private static async Task EchoAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[FrameSize];
        while (!cancellationToken.IsCancellationRequested)
        {
            if (!await ReceiveExactlyAsync(socket, buffer, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            await socket.SendAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async ValueTask<bool> ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}

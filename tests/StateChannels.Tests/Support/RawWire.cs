using StateChannels.Protocol;
using StateChannels.Testing;

namespace StateChannels.Tests.Support;

/// <summary>Protocol messages over a raw in-memory connection, for tests that play a peer by hand.</summary>
internal static class RawWire
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>The next message of type <typeparamref name="T"/> (others are skipped).</summary>
    public static async Task<T> ReceiveAsync<T>(InMemoryConnection wire)
        where T : ProtocolMessage => (T)await ReceiveAsync(wire, m => m is T);

    /// <summary>The next message <paramref name="match"/> accepts (others are skipped).</summary>
    public static async Task<ProtocolMessage> ReceiveAsync(InMemoryConnection wire, Func<ProtocolMessage, bool> match)
    {
        using var cts = new CancellationTokenSource(Limit);
        while (true)
        {
            var frame = await wire.ReceiveAsync(cts.Token) ?? throw new InvalidOperationException("connection closed");
            var m = MessageCodec.Decode(frame.Span);
            if (match(m))
            {
                return m;
            }
        }
    }

    public static Task SendAsync(InMemoryConnection wire, ProtocolMessage m) => wire.SendAsync(MessageCodec.Encode(m)).AsTask();

    /// <summary>Reads until the other side closes the connection.</summary>
    public static async Task WaitClosedAsync(InMemoryConnection wire)
    {
        using var cts = new CancellationTokenSource(Limit);
        while (await wire.ReceiveAsync(cts.Token) is not null)
        {
        }
    }
}

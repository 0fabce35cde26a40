using System.Threading.Channels;

namespace StateChannels.Tests.Support;

/// <summary>A connected pair of in-memory connections with optional message tampering.</summary>
internal static class MemoryPipe
{
    public static (Connection A, Connection B) Pair(EthAddress a, EthAddress b)
    {
        var ab = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();
        var ba = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();
        return (new Connection(b, ab.Writer, ba.Reader), new Connection(a, ba.Writer, ab.Reader));
    }

    /// <summary>One end. <see cref="Peer"/> is the address at the other end.</summary>
    internal sealed class Connection(EthAddress peer, ChannelWriter<byte[]> output, ChannelReader<byte[]> input) : IMessageConnection
    {
        public EthAddress Peer { get; } = peer;

        /// <summary>Rewrites (or, returning null, drops) each outgoing frame.</summary>
        public Func<byte[], byte[]?>? Tamper { get; set; }

        public ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken = default)
        {
            var bytes = frame.ToArray();
            if (Tamper is { } tamper)
            {
                if (tamper(bytes) is not { } changed)
                {
                    return ValueTask.CompletedTask;
                }

                bytes = changed;
            }

            return output.TryWrite(bytes)
                ? ValueTask.CompletedTask
                : throw new StateChannelException(ErrorCode.PeerUnavailable, "closed");
        }

        public async ValueTask<ReadOnlyMemory<byte>?> ReceiveAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await input.ReadAsync(cancellationToken);
            }
            catch (ChannelClosedException)
            {
                return null;
            }
        }

        public ValueTask DisposeAsync()
        {
            output.TryComplete();
            return ValueTask.CompletedTask;
        }
    }
}

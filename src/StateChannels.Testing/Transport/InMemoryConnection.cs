using System.Threading.Channels;

namespace StateChannels.Testing;

/// <summary>
/// One end of an in-memory connection (<see cref="InMemoryTransport"/>). Follows the
/// <see cref="IMessageConnection"/> contract: ordered whole frames (unless a fault says otherwise),
/// concurrent sends, one reader, <see langword="null"/> from <see cref="ReceiveAsync"/> once the link
/// is down and every frame delivered before has been read.
/// </summary>
public sealed class InMemoryConnection : IMessageConnection
{
    private readonly InMemoryTransport _transport;
    private readonly Channel<byte[]> _inbound = System.Threading.Channels.Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleWriter = false });
    private int _closed;

    internal InMemoryConnection(InMemoryTransport transport, EthAddress local, EthAddress peer, long generation)
    {
        _transport = transport;
        Local = local;
        Peer = peer;
        Generation = generation;
    }

    /// <summary>The authenticated address of the peer (fixed by the transport).</summary>
    public EthAddress Peer { get; }

    /// <summary>The address of the party holding this end.</summary>
    public EthAddress Local { get; }

    /// <summary>Whether the link this end belongs to is down (frames already delivered can still be read).</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    internal long Generation { get; }

    internal InMemoryConnection? Remote { get; set; }

    /// <summary>Hands one frame to the transport, which delivers it (or applies a fault) at once.</summary>
    /// <param name="frame">The frame; copied, so it may be reused when the call returns.</param>
    /// <param name="cancellationToken">Checked before sending.</param>
    /// <returns>A completed task.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The frame exceeds <see cref="InMemoryTransport.MaxFrameSize"/>.</exception>
    /// <exception cref="StateChannelException">The link is down (<see cref="ErrorCode.PeerUnavailable"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken = default)
    {
        if (frame.Length > _transport.MaxFrameSize)
        {
            throw new ArgumentOutOfRangeException(nameof(frame), frame.Length, $"A frame holds at most {_transport.MaxFrameSize} bytes.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        _transport.Send(this, frame);
        return ValueTask.CompletedTask;
    }

    /// <summary>The next frame, or <see langword="null"/> once the link is down and drained.</summary>
    /// <param name="cancellationToken">Cancels the wait; the connection stays open.</param>
    /// <returns>The frame, or <see langword="null"/>.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<ReadOnlyMemory<byte>?> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        while (true)
        {
            if (_inbound.Reader.TryRead(out byte[]? frame))
            {
                return frame;
            }

            if (!await _inbound.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }
    }

    /// <summary>Takes the link down for both ends; frames not yet read here are discarded. Idempotent.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        _transport.Close(this);
        while (_inbound.Reader.TryRead(out _))
        {
        }

        return ValueTask.CompletedTask;
    }

    internal void Deliver(byte[] frame) => _inbound.Writer.TryWrite(frame);

    internal void MarkClosed()
    {
        Volatile.Write(ref _closed, 1);
        _inbound.Writer.TryComplete();
    }
}

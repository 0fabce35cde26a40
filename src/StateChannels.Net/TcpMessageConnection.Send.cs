using System.Buffers;
using StateChannels.Net.Framing;

namespace StateChannels.Net;

/// <content>Sending: <see cref="SendAsync"/> and the write loop.</content>
public sealed partial class TcpMessageConnection
{
    // Frames queued together are written with one socket call, up to this many bytes.
    private const int BatchBytes = 64 * 1024;

    private int _controlQueued;

    /// <summary>
    /// Queues one frame for sending; frames go out in the order their calls completed. Safe to call
    /// concurrently. Waits while <see cref="TcpTransportOptions.SendQueueCapacity"/> frames are already
    /// queued. The frame is copied, so <paramref name="frame"/> may be reused once the call returns.
    /// Completion means the frame is queued, not that the peer has it: a connection lost afterwards
    /// loses it (the protocol's reestablish recovers).
    /// </summary>
    /// <param name="frame">The payload, at most <see cref="TcpTransportOptions.MaxFrameSize"/> bytes.</param>
    /// <param name="cancellationToken">Cancels the wait for queue space.</param>
    /// <returns>A task that completes when the frame is queued.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="frame"/> is larger than the maximum frame size.</exception>
    /// <exception cref="StateChannelException">The connection is closed (<see cref="ErrorCode.PeerUnavailable"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken = default)
    {
        if (frame.Length > _options.MaxFrameSize)
        {
            throw new ArgumentOutOfRangeException(nameof(frame), frame.Length, $"A frame holds at most {_options.MaxFrameSize} bytes.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (Volatile.Read(ref _closing) != 0)
        {
            throw Unavailable();
        }

        if (!_sendSlots.Wait(0))
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closeCts.Token);
            try
            {
                await _sendSlots.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw Unavailable();
            }
        }

        Frame queued = Frame.Data(frame.Span);
        if (!_outbound.Writer.TryWrite(queued))
        {
            queued.Return();
            _sendSlots.Release();
            throw Unavailable();
        }
    }

    /// <summary>Queues a ping, pong or close unless a few control frames are already waiting (a ping flood cannot grow the queue).</summary>
    private void QueueControl(FrameKind kind)
    {
        if (Interlocked.Increment(ref _controlQueued) > 4 || !_outbound.Writer.TryWrite(Frame.Control(kind)))
        {
            Interlocked.Decrement(ref _controlQueued);
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            CancellationToken closing = _closeCts.Token;
            while (await _outbound.Reader.WaitToReadAsync(closing).ConfigureAwait(false))
            {
                await WriteBatchAsync(closing).ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // Socket failure, or the connection was aborted under us (the socket is disposed on abort).
            Abort(CloseReason.ConnectionLost);
        }
    }

    private async Task WriteBatchAsync(CancellationToken closing)
    {
        byte[] batch = ArrayPool<byte>.Shared.Rent(BatchBytes);
        try
        {
            int used = 0;
            while (_outbound.Reader.TryPeek(out Frame next))
            {
                int size = FrameFormat.HeaderSize + next.Length;
                if (used > 0 && used + size > batch.Length)
                {
                    break;
                }

                _outbound.Reader.TryRead(out Frame frame);
                if (size > batch.Length)
                {
                    // A frame larger than the batch buffer: grow to it (bounded by MaxFrameSize).
                    ArrayPool<byte>.Shared.Return(batch);
                    batch = ArrayPool<byte>.Shared.Rent(size);
                }

                FrameFormat.WriteHeader(batch.AsSpan(used), frame.Kind, frame.Length);
                frame.Payload.Span.CopyTo(batch.AsSpan(used + FrameFormat.HeaderSize));
                used += size;
                frame.Return();
                if (frame.Kind == FrameKind.Data)
                {
                    _sendSlots.Release();
                }
                else if (frame.Kind != FrameKind.Close)
                {
                    Interlocked.Decrement(ref _controlQueued);
                }
            }

            Volatile.Write(ref _writeStartedAt, _time.GetTimestamp());
            await _stream.WriteAsync(batch.AsMemory(0, used), closing).ConfigureAwait(false);
            Volatile.Write(ref _writeStartedAt, 0);
            Volatile.Write(ref _lastSent, _time.GetTimestamp());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(batch);
        }
    }
}

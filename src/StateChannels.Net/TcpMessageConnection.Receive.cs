using StateChannels.Net.Framing;

namespace StateChannels.Net;

/// <content>Receiving: the read loop and <see cref="ReceiveAsync"/>.</content>
public sealed partial class TcpMessageConnection
{
    private Frame _current;

    /// <summary>
    /// The next data frame, or <see langword="null"/> once the connection is closed (by either side, or
    /// dropped for a limit) and every frame received before has been returned. The memory is valid until
    /// the next call. One reader at a time. Never throws for the peer's misbehaviour.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait; the connection stays open.</param>
    /// <returns>The frame's payload, or <see langword="null"/> when closed.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<ReadOnlyMemory<byte>?> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        // The previous frame's memory is released now, as the contract allows.
        Frame previous = _current;
        _current = default;
        previous.Return();
        cancellationToken.ThrowIfCancellationRequested();

        while (true)
        {
            if (_inbound.Reader.TryRead(out Frame frame))
            {
                _current = frame;
                return frame.Payload;
            }

            if (!await _inbound.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }
    }

    private async Task ReadLoopAsync()
    {
        CloseReason reason = CloseReason.ConnectionLost;
        try
        {
            reason = await ReadFramesAsync().ConfigureAwait(false);
        }
        catch (FrameViolationException e)
        {
            reason = e.Reason;
        }
        catch (OperationCanceledException)
        {
            reason = CloseReason.Local;
        }
        catch (Exception)
        {
            // Socket failure, or the socket was disposed by an abort: never escapes the loop.
            reason = CloseReason.ConnectionLost;
        }
        finally
        {
            Abort(reason);
            _frames.Complete();
        }
    }

    private async Task<CloseReason> ReadFramesAsync()
    {
        CancellationToken closing = _closeCts.Token;
        while (true)
        {
            (bool ok, FrameKind kind, System.Buffers.ReadOnlySequence<byte> payload) = await _frames.ReadAsync(closing).ConfigureAwait(false);
            if (!ok)
            {
                return CloseReason.PeerClosed;
            }

            Volatile.Write(ref _lastReceived, _time.GetTimestamp());
            if (!_inboundRate.TryTake())
            {
                _frames.Consume();
                return CloseReason.RateLimited;
            }

            switch (kind)
            {
                case FrameKind.Data:
                    Frame frame = Frame.Data(payload);
                    _frames.Consume();
                    await EnqueueInboundAsync(frame, closing).ConfigureAwait(false);
                    break;
                case FrameKind.Ping:
                    _frames.Consume();
                    QueueControl(FrameKind.Pong);
                    break;
                case FrameKind.Pong:
                    _frames.Consume();
                    break;
                case FrameKind.Close:
                    _frames.Consume();
                    return CloseReason.PeerClosed;
                default:
                    // Handshake frames after the handshake.
                    _frames.Consume();
                    return CloseReason.ProtocolViolation;
            }
        }
    }

    private async ValueTask EnqueueInboundAsync(Frame frame, CancellationToken closing)
    {
        if (_inbound.Writer.TryWrite(frame))
        {
            return;
        }

        // The application is not keeping up: stop reading (TCP back-pressure on the peer), and do
        // not count the wait against the peer's idle timeout.
        Volatile.Write(ref _readerBlocked, 1);
        try
        {
            await _inbound.Writer.WriteAsync(frame, closing).ConfigureAwait(false);
        }
        catch
        {
            frame.Return();
            throw;
        }
        finally
        {
            Volatile.Write(ref _lastReceived, _time.GetTimestamp());
            Volatile.Write(ref _readerBlocked, 0);
        }
    }
}

using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace StateChannels.Net.Framing;

/// <summary>
/// Reads whole frames from a <see cref="PipeReader"/>. The header is checked (kind known, length
/// within the kind's bound) as soon as its 5 bytes are buffered, before the payload is awaited, so
/// a hostile length never causes an allocation: the pipe only ever buffers what actually arrived,
/// and at most one bounded frame of it. Not thread-safe: one reader loop at a time.
/// </summary>
internal sealed class FrameReader
{
    private readonly PipeReader _reader;
    private readonly TimeProvider _time;
    private readonly int _maxDataSize;
    private SequencePosition _frameEnd;
    private bool _holding;
    private long _partialSince;

    public FrameReader(PipeReader reader, TimeProvider time, int maxDataSize)
    {
        _reader = reader;
        _time = time;
        _maxDataSize = maxDataSize;
    }

    /// <summary>
    /// Reads frames from a connection's stream (left open: the connection owns it). The pipe waits
    /// for data with a zero-byte read and rents its buffer only once bytes are there, so an idle
    /// connection holds no receive buffer.
    /// </summary>
    public static FrameReader Over(Stream stream, TcpTransportOptions options) =>
        new(PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true, useZeroByteReads: true)), options.TimeProvider, options.MaxFrameSize);

    /// <summary>
    /// Whether the handshake is over. Before it, only hello, auth and close frames are accepted, so an
    /// unauthenticated peer cannot make us buffer a data-sized frame.
    /// </summary>
    public bool Authenticated { get; set; }

    /// <summary>
    /// Timestamp (<see cref="TimeProvider.GetTimestamp"/>) at which bytes of a still incomplete frame
    /// were first seen buffered, or 0 when no frame is in progress. Read by the watchdog thread.
    /// </summary>
    public long PartialSince => Volatile.Read(ref _partialSince);

    /// <summary>
    /// Waits for the next whole frame. Returns <see langword="false"/> when the stream ended cleanly
    /// between frames. The payload stays valid until <see cref="Consume"/>, which must be called
    /// before the next read.
    /// </summary>
    /// <exception cref="FrameViolationException">Unknown kind, oversized length, or the stream ended inside a frame.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<(bool Ok, FrameKind Kind, ReadOnlySequence<byte> Payload)> ReadAsync(CancellationToken cancellationToken)
    {
        if (_holding)
        {
            throw new InvalidOperationException("Consume the previous frame first.");
        }

        while (true)
        {
            ReadResult result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (TryParse(buffer, out FrameKind kind, out ReadOnlySequence<byte> payload))
            {
                Volatile.Write(ref _partialSince, 0);
                _frameEnd = payload.End;
                _holding = true;
                return (true, kind, payload);
            }

            if (result.IsCompleted)
            {
                _reader.AdvanceTo(buffer.End);
                if (!buffer.IsEmpty)
                {
                    throw new FrameViolationException(CloseReason.ConnectionLost, "The stream ended inside a frame.");
                }

                return (false, default, default);
            }

            if (result.IsCanceled)
            {
                _reader.AdvanceTo(buffer.Start, buffer.End);
                cancellationToken.ThrowIfCancellationRequested();
                throw new OperationCanceledException("The read was cancelled.");
            }

            if (!buffer.IsEmpty && Volatile.Read(ref _partialSince) == 0)
            {
                Volatile.Write(ref _partialSince, _time.GetTimestamp());
            }

            // Nothing consumed, everything examined: the next ReadAsync waits for more bytes.
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Releases the frame returned by the last <see cref="ReadAsync"/>.</summary>
    public void Consume()
    {
        if (!_holding)
        {
            return;
        }

        _holding = false;
        _reader.AdvanceTo(_frameEnd);
    }

    /// <summary>Completes the pipe reader, returning its pooled memory. Call once, after the last read.</summary>
    public void Complete()
    {
        _holding = false;
        _reader.Complete();
    }

    private bool TryParse(ReadOnlySequence<byte> buffer, out FrameKind kind, out ReadOnlySequence<byte> payload)
    {
        kind = default;
        payload = default;
        if (buffer.Length < FrameFormat.HeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[FrameFormat.HeaderSize];
        buffer.Slice(0, FrameFormat.HeaderSize).CopyTo(header);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header);
        kind = (FrameKind)header[4];
        long max = Authenticated || kind is FrameKind.Hello or FrameKind.Auth or FrameKind.Close
            ? FrameFormat.MaxPayload(kind, _maxDataSize)
            : -1;
        if (max < 0)
        {
            throw new FrameViolationException(CloseReason.ProtocolViolation, $"Frame kind 0x{header[4]:x2} is unknown or not allowed {(Authenticated ? "here" : "before authentication")}.");
        }

        if (length > max)
        {
            throw new FrameViolationException(
                kind == FrameKind.Data ? CloseReason.FrameTooLarge : CloseReason.ProtocolViolation,
                $"Frame of kind {kind} declares {length} bytes; at most {max} allowed.");
        }

        if (buffer.Length - FrameFormat.HeaderSize < length)
        {
            return false;
        }

        payload = buffer.Slice(FrameFormat.HeaderSize, length);
        return true;
    }
}

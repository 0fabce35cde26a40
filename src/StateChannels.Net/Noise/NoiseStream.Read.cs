using System.Buffers;
using StateChannels.Net.Framing;

namespace StateChannels.Net.Noise;

/// <content>
/// Reading. Bytes are read ahead into one pooled buffer (as many as the socket has, like the plaintext
/// pipe does), messages are decrypted in place there, and the buffer goes back to the pool as soon as
/// everything in it has been handed out, so an idle connection holds none.
/// </content>
internal sealed partial class NoiseStream
{
    // Read-ahead size: a few messages per socket read; a larger message grows the buffer to fit it.
    private const int ReadAhead = 16 * 1024;

    private byte[]? _in;
    private int _inStart;
    private int _inEnd;
    private int _plainStart;
    private int _plainEnd;
    private int _messageEnd;
    private long _partialSince;
    private bool _broken;

    /// <summary>Timestamp at which bytes of a still incomplete message were first seen, or 0 (read by the watchdog).</summary>
    public long PartialSince => Volatile.Read(ref _partialSince);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_plainStart == _plainEnd)
        {
            if (buffer.IsEmpty)
            {
                // A zero-byte read waits for data without holding a buffer (the pipe's idle mode).
                return _broken || _inEnd > _inStart ? 0 : await _inner.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            }

            if (!await ReadMessageAsync(cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }
        }

        int count = Math.Min(buffer.Length, _plainEnd - _plainStart);
        _in.AsSpan(_plainStart, count).CopyTo(buffer.Span);
        _plainStart += count;
        if (_plainStart == _plainEnd)
        {
            // The whole message is handed out: its bytes (and tag) are done with.
            _inStart = _messageEnd;
            if (_inStart == _inEnd)
            {
                ReturnInput();
            }
        }

        return count;
    }

    /// <summary>Decrypts the next message in place; <see langword="false"/> at a clean end of stream between messages.</summary>
    private async ValueTask<bool> ReadMessageAsync(CancellationToken cancellationToken)
    {
        if (_broken)
        {
            throw new FrameViolationException(CloseReason.DecryptionFailed, "The session failed earlier.");
        }

        try
        {
            if (!await BufferAsync(HeaderSize, allowCleanEnd: true, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            int length = OpenLength(_receive, _in.AsSpan(_inStart, HeaderSize), MaxIncomingMessage);
            if (length == 0)
            {
                // We never send empty messages; accepting them would let a peer spin us outside the frame rate limit.
                throw new FrameViolationException(CloseReason.ProtocolViolation, "An empty encrypted message.");
            }

            int total = HeaderSize + length + NoiseCrypto.TagSize;
            await BufferAsync(total, allowCleanEnd: false, cancellationToken).ConfigureAwait(false);
            OpenBody(_receive, _in.AsSpan(_inStart + HeaderSize, length + NoiseCrypto.TagSize));
            Volatile.Write(ref _partialSince, 0);
            (_plainStart, _plainEnd, _messageEnd) = (_inStart + HeaderSize, _inStart + HeaderSize + length, _inStart + total);
            return true;
        }
        catch (FrameViolationException)
        {
            _broken = true;
            throw;
        }
    }

    /// <summary>Reads until at least <paramref name="needed"/> bytes of the current message are buffered (more if the socket has them).</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_in))]
    private async ValueTask<bool> BufferAsync(int needed, bool allowCleanEnd, CancellationToken cancellationToken)
    {
        Reserve(needed);
        while (_inEnd - _inStart < needed)
        {
            // Only while we wait on the socket with part of a message in hand: a message that waits
            // because the application is not reading is not the peer's fault.
            if (_inEnd > _inStart && Volatile.Read(ref _partialSince) == 0)
            {
                Volatile.Write(ref _partialSince, _time.GetTimestamp());
            }

            int read = await _inner.ReadAsync(_in.AsMemory(_inEnd), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (_inEnd == _inStart && allowCleanEnd)
                {
                    return false;
                }

                throw new FrameViolationException(CloseReason.ConnectionLost, "The stream ended inside an encrypted message.");
            }

            _inEnd += read;
        }

        return true;
    }

    /// <summary>Makes room for <paramref name="needed"/> bytes from <see cref="_inStart"/>: rents, compacts or grows the buffer.</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_in))]
    private void Reserve(int needed)
    {
        if (_in is null)
        {
            _in = ArrayPool<byte>.Shared.Rent(Math.Max(needed, ReadAhead));
            (_inStart, _inEnd) = (0, 0);
            return;
        }

        if (_in.Length - _inStart >= needed)
        {
            return;
        }

        byte[] target = _in.Length >= needed ? _in : ArrayPool<byte>.Shared.Rent(needed);
        int buffered = _inEnd - _inStart;
        Buffer.BlockCopy(_in, _inStart, target, 0, buffered);
        if (!ReferenceEquals(target, _in))
        {
            ArrayPool<byte>.Shared.Return(_in);
            _in = target;
        }

        (_inStart, _inEnd) = (0, buffered);
    }

    private void ReturnInput()
    {
        if (_in is not null)
        {
            ArrayPool<byte>.Shared.Return(_in);
            _in = null;
            (_inStart, _inEnd, _plainStart, _plainEnd, _messageEnd) = (0, 0, 0, 0, 0);
        }
    }
}

using System.Buffers;
using System.Buffers.Binary;
using StateChannels.Net.Framing;

namespace StateChannels.Net.Noise;

/// <summary>
/// An established BOLT 8 session over a network stream ("Lightning Message Specification"): every
/// write is sent as messages of at most 65,535 bytes, each an encrypted 2-byte length with its MAC,
/// then the encrypted body with its MAC; every read decrypts the next message. The length prefix is
/// decrypted and bounded (<see cref="MaxIncomingMessage"/>) before the body is awaited; the pooled
/// read-ahead buffer (16 KiB) grows only for a length that passed that bound. A failed MAC, or a stream that ends inside a message, throws
/// <see cref="FrameViolationException"/>; the session is then unusable and the connection must be
/// dropped. The transport's own frames (and their limits) travel inside, unchanged. One reader and
/// one writer at a time (they may run concurrently). Idle, it holds no buffer.
/// </summary>
internal sealed partial class NoiseStream : Stream
{
    /// <summary>Largest message BOLT 8 allows.</summary>
    public const int MaxMessage = ushort.MaxValue;

    /// <summary>Encrypted length prefix plus its MAC.</summary>
    public const int HeaderSize = 2 + NoiseCrypto.TagSize;

    private readonly Stream _inner;
    private readonly NoiseCipherState _send;
    private readonly NoiseCipherState _receive;
    private readonly TimeProvider _time;

    public NoiseStream(Stream inner, NoiseCipherState send, NoiseCipherState receive, byte[] handshakeHash, NoisePublicKey remoteStatic, TimeProvider time)
    {
        _inner = inner;
        _send = send;
        _receive = receive;
        _time = time;
        HandshakeHash = handshakeHash;
        RemoteStatic = remoteStatic;
    }

    /// <summary>The Noise handshake hash <c>h</c> of this session (the signed handshake signs over it).</summary>
    public byte[] HandshakeHash { get; }

    /// <summary>The peer's Noise static key.</summary>
    public NoisePublicKey RemoteStatic { get; }

    /// <summary>
    /// Largest incoming message body accepted, checked on the decrypted length prefix. Small until the
    /// peer has authenticated (only handshake frames may arrive), then <see cref="MaxMessage"/>.
    /// </summary>
    public int MaxIncomingMessage { get; set; } = 256;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Bytes on the wire for <paramref name="plaintextLength"/> bytes of payload.</summary>
    public static int SealedSize(int plaintextLength)
    {
        int messages = Math.Max(1, (plaintextLength + MaxMessage - 1) / MaxMessage);
        return plaintextLength + (messages * (HeaderSize + NoiseCrypto.TagSize));
    }

    /// <summary>Encrypts <paramref name="plaintext"/> as one or more messages into <paramref name="destination"/> (<see cref="SealedSize"/> bytes).</summary>
    public static void Seal(NoiseCipherState send, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        Span<byte> length = stackalloc byte[2];
        do
        {
            int chunk = Math.Min(plaintext.Length, MaxMessage);
            BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)chunk);
            send.Encrypt(length, destination[..HeaderSize]);
            send.Encrypt(plaintext[..chunk], destination.Slice(HeaderSize, chunk + NoiseCrypto.TagSize));
            destination = destination[(HeaderSize + chunk + NoiseCrypto.TagSize)..];
            plaintext = plaintext[chunk..];
        }
        while (!plaintext.IsEmpty);
    }

    /// <summary>Decrypts and bounds a length prefix.</summary>
    /// <exception cref="FrameViolationException">The MAC fails, or the length is above <paramref name="max"/>.</exception>
    public static int OpenLength(NoiseCipherState receive, ReadOnlySpan<byte> header, int max)
    {
        Span<byte> length = stackalloc byte[2];
        if (!receive.TryDecrypt(header, length))
        {
            throw new FrameViolationException(CloseReason.DecryptionFailed, "An encrypted length prefix failed its MAC check.");
        }

        int value = BinaryPrimitives.ReadUInt16BigEndian(length);
        return value <= max
            ? value
            : throw new FrameViolationException(CloseReason.FrameTooLarge, $"An encrypted message of {value} bytes; at most {max} allowed here.");
    }

    /// <summary>Decrypts a message body (ciphertext and MAC) in place into its first bytes.</summary>
    /// <exception cref="FrameViolationException">The MAC fails.</exception>
    public static void OpenBody(NoiseCipherState receive, Span<byte> sealedBody)
    {
        if (!receive.TryDecrypt(sealedBody, sealedBody[..^NoiseCrypto.TagSize]))
        {
            throw new FrameViolationException(CloseReason.DecryptionFailed, "An encrypted message failed its MAC check.");
        }
    }

    /// <summary>One message as it goes on the wire (tests forge and replay ciphertext with it). Advances the send nonce.</summary>
    internal byte[] SealMessage(ReadOnlySpan<byte> plaintext)
    {
        var wire = new byte[SealedSize(plaintext.Length)];
        Seal(_send, plaintext, wire);
        return wire;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        int size = SealedSize(buffer.Length);
        byte[] sealedBytes = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            Seal(_send, buffer.Span, sealedBytes);
            await _inner.WriteAsync(sealedBytes.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sealedBytes);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Asynchronous use only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Asynchronous use only.");

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ReturnInput();
            _send.Dispose();
            _receive.Dispose();
        }

        base.Dispose(disposing);
    }
}

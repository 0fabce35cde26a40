using System.Net.WebSockets;

namespace StateChannels.Net.WebSockets;

/// <summary>
/// A WebSocket seen as the byte stream the transport runs on (the Noise session, or plaintext frames, on top):
/// each write is sent as one binary message; reads return message bytes as they arrive, ignoring message
/// boundaries, so a Noise message may span WebSocket messages and one WebSocket message may carry several.
/// Reads go straight into the caller's bounded buffer: a huge WebSocket message allocates nothing here (the
/// Noise length prefix and the frame header inside are what is bounded). A close message ends the stream;
/// a text message, or any WebSocket failure, surfaces as <see cref="IOException"/>, which the handshake and the
/// connection treat as a lost connection. One reader and one writer at a time (they may run concurrently).
/// </summary>
internal sealed class WebSocketByteStream : Stream
{
    private readonly WebSocket _socket;
    private bool _ended;

    public WebSocketByteStream(WebSocket socket) => _socket = socket;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Aborts the WebSocket at once and releases it (idempotent, never throws).</summary>
    public static void Abort(WebSocket socket)
    {
        socket.Abort();
        socket.Dispose();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!_ended)
        {
            ValueWebSocketReceiveResult result;
            try
            {
                // An empty buffer waits for data without holding one (the pipe's idle mode).
                result = await _socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (WebSocketException e)
            {
                throw new IOException($"The WebSocket failed: {e.WebSocketErrorCode}.", e);
            }

            switch (result.MessageType)
            {
                case WebSocketMessageType.Close:
                    _ended = true;
                    return 0;
                case WebSocketMessageType.Text:
                    throw new IOException("A text WebSocket message: the transport speaks binary only.");
            }

            if (result.Count > 0 || buffer.IsEmpty)
            {
                return result.Count;
            }

            // An empty binary fragment: nothing to hand out, wait for the next one.
        }

        return 0;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        try
        {
            await _socket.SendAsync(buffer, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        catch (WebSocketException e)
        {
            throw new IOException($"The WebSocket failed: {e.WebSocketErrorCode}.", e);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Asynchronous use only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Asynchronous use only.");

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using StateChannels.Net.Authentication;
using StateChannels.Net.Framing;
using StateChannels.Net.Noise;

namespace StateChannels.Net.Tests.Support;

/// <summary>
/// A hand-driven peer on a raw socket: speaks the wire format byte by byte so tests can forge,
/// replay, truncate, flood or stall anything. Either end (dialer or listener side); over Noise, the frames
/// travel inside a real encrypted session, and <see cref="SendWireAsync"/> reaches under it.
/// </summary>
internal sealed class RawPeer : IAsyncDisposable
{
    private readonly IDisposable _transport;
    private readonly Stream _network;
    private readonly Stream _stream;
    private readonly NoiseStream? _noise;

    private RawPeer(IDisposable transport, Stream network, NoiseStream? noise)
    {
        _transport = transport;
        _network = network;
        _noise = noise;
        _stream = (Stream?)noise ?? network;
    }

    /// <summary>This peer's Noise session, or null in plaintext mode.</summary>
    public NoiseStream? Noise => _noise;

    /// <summary>The challenge this peer sent in its hello.</summary>
    public Hash32 OwnChallenge { get; private set; }

    /// <summary>Connects; runs the Noise handshake as initiator when <paramref name="target"/> has a key (with a fresh static key unless given).</summary>
    public static async Task<RawPeer> ConnectAsync(TcpPeerAddress target, NoiseStaticKey? staticKey = null)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(target.EndPoint);
        var network = new NetworkStream(socket, ownsSocket: true);
        if (target.NoiseKey is not { } key)
        {
            return new RawPeer(socket, network, null);
        }

        using NoiseStaticKey? fresh = staticKey is null ? NoiseStaticKey.Create() : null;
        NoiseStream noise = await NoiseSession.InitiateAsync(network, staticKey ?? fresh!, key, TimeProvider.System, CancellationToken.None);
        noise.MaxIncomingMessage = NoiseStream.MaxMessage;
        return new RawPeer(socket, network, noise);
    }

    /// <summary>A peer over any byte stream (the WebSocket tests' raw peer); runs the Noise handshake as initiator when <paramref name="key"/> is given.</summary>
    public static async Task<RawPeer> OverAsync(Stream network, IDisposable transport, NoisePublicKey? key)
    {
        if (key is null)
        {
            return new RawPeer(transport, network, null);
        }

        using NoiseStaticKey fresh = NoiseStaticKey.Create();
        NoiseStream noise = await NoiseSession.InitiateAsync(network, fresh, key.Value, TimeProvider.System, CancellationToken.None);
        noise.MaxIncomingMessage = NoiseStream.MaxMessage;
        return new RawPeer(transport, network, noise);
    }

    /// <summary>Wraps an accepted socket; runs the Noise handshake as responder with <paramref name="staticKey"/> when given.</summary>
    public static async Task<RawPeer> AcceptedAsync(Socket socket, NoiseStaticKey? staticKey)
    {
        socket.NoDelay = true;
        var network = new NetworkStream(socket, ownsSocket: true);
        if (staticKey is null)
        {
            return new RawPeer(socket, network, null);
        }

        NoiseStream noise = await NoiseSession.RespondAsync(network, staticKey, TimeProvider.System, CancellationToken.None);
        noise.MaxIncomingMessage = NoiseStream.MaxMessage;
        return new RawPeer(socket, network, noise);
    }

    /// <summary>The challenge an honest peer of this session signs for <paramref name="challenge"/> (bound to the Noise session when there is one).</summary>
    public Hash32 Bound(Hash32 challenge) => SessionBinding.Bind(challenge, _noise?.HandshakeHash ?? []);

    /// <summary>Bytes straight onto the socket, under the encryption (to forge, replay or cut ciphertext).</summary>
    public Task SendWireAsync(byte[] bytes) => _network.WriteAsync(bytes).AsTask();

    /// <summary>One encrypted message carrying <paramref name="plaintext"/>, as it would go on the wire (advances the send nonce).</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext) => _noise!.SealMessage(plaintext);

    public static byte[] Hello(EthAddress address, Hash32 challenge, ushort version = HelloMessage.CurrentVersion) =>
        new HelloMessage(version, address, challenge).ToPayload();

    public Task SendRawAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    public Task SendFrameAsync(FrameKind kind, ReadOnlySpan<byte> payload) => SendRawAsync(FrameFormat.Encode(kind, payload));

    public Task SendHelloAsync(EthAddress claimed)
    {
        OwnChallenge = Hash32.CreateRandom();
        return SendFrameAsync(FrameKind.Hello, Hello(claimed, OwnChallenge));
    }

    /// <summary>The next frame, or null at end of stream (or when the socket fails).</summary>
    public async Task<(FrameKind Kind, byte[] Payload)?> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TestOptions.Patience);
        var header = new byte[FrameFormat.HeaderSize];
        try
        {
            await _stream.ReadExactlyAsync(header, cts.Token);
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(header);
            var payload = new byte[length];
            await _stream.ReadExactlyAsync(payload, cts.Token);
            return ((FrameKind)header[4], payload);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or SocketException or FrameViolationException)
        {
            return null;
        }
    }

    /// <summary>Reads (and discards pings and other frames) until the other side closes; false on timeout.</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TestOptions.Patience);
        var buffer = new byte[4096];
        try
        {
            while (await _stream.ReadAsync(buffer, cts.Token) > 0)
            {
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception e) when (e is IOException or SocketException or FrameViolationException)
        {
            return true;
        }
    }

    /// <summary>Reads frames until a close frame (returns its reason byte) or end of stream (returns null).</summary>
    public async Task<HandshakeFailure?> ReadCloseReasonAsync()
    {
        while (await ReadFrameAsync() is { } frame)
        {
            if (frame.Kind == FrameKind.Close)
            {
                return frame.Payload.Length == 1 ? (HandshakeFailure)frame.Payload[0] : null;
            }
        }

        return null;
    }

    /// <summary>
    /// Plays the dialer's side against a real listener: hello claiming <paramref name="claimed"/>
    /// (default: <paramref name="key"/>'s address), then <paramref name="answer"/> (default: an honest
    /// answer by <paramref name="key"/>). Returns the listener's hello and its answer frame, if any.
    /// </summary>
    public async Task<(HelloMessage ListenerHello, (FrameKind Kind, byte[] Payload)? Reply)> DialHandshakeAsync(
        Identity key, EthAddress? claimed = null, Func<HelloMessage, Signature>? answer = null)
    {
        await SendHelloAsync(claimed ?? key.Address);
        (FrameKind kind, byte[] payload) = (await ReadFrameAsync())!.Value;
        Assert.Equal(FrameKind.Hello, kind);
        Assert.True(HelloMessage.TryParse(new System.Buffers.ReadOnlySequence<byte>(payload), out HelloMessage hello, out _, out _));
        Signature signature = answer is null ? key.Answer(Bound(hello.Challenge), hello.Address) : answer(hello);
        await SendFrameAsync(FrameKind.Auth, signature.ToArray());
        return (hello, await ReadFrameAsync());
    }

    /// <summary>Completes an honest handshake as the dialer and checks the listener's answer frame arrived.</summary>
    public async Task AuthenticateAsync(Identity key)
    {
        var (_, reply) = await DialHandshakeAsync(key);
        Assert.Equal(FrameKind.Auth, reply?.Kind);
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        await _network.DisposeAsync();
        _transport.Dispose();
    }
}

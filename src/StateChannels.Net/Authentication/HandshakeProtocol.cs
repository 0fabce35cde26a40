using System.Buffers;
using System.Net.Sockets;
using StateChannels.Net.Framing;
using StateChannels.Net.Noise;

namespace StateChannels.Net.Authentication;

/// <summary>
/// The authentication handshake (docs/encoding.md, "Off-chain authentication"):
/// <list type="number">
/// <item>Both sides send a hello with their address and a fresh random challenge.</item>
/// <item>The dialer answers the listener's challenge: <c>SignHandshake(domain, listenerChallenge, listenerAddress)</c>.</item>
/// <item>The listener verifies it, and only then answers the dialer's challenge the same way, so a
/// listener never signs anything for a dialer that has not proven its address.</item>
/// <item>The dialer verifies the listener's answer.</item>
/// </list>
/// The answer binds the verifier's own fresh challenge and its address, so it cannot be replayed
/// into another session nor reflected to its signer; a peer claiming our own address is refused.
/// A side that rejects the other sends a close frame carrying the <see cref="HandshakeFailure"/>.
/// Over Noise all of this travels encrypted, and the challenges are bound to the session (<see cref="SessionBinding"/>).
/// </summary>
internal static class HandshakeProtocol
{
    /// <summary>
    /// Runs the handshake on a fresh connection: over <see cref="TransportEncryption.Noise"/> the BOLT 8 acts first
    /// (<see cref="NoiseSession"/>), then the signed handshake inside the session, bound to its hash
    /// (<see cref="SessionBinding"/>). Returns the peer's authenticated address and the stream and reader to use.
    /// </summary>
    /// <param name="network">The socket's stream.</param>
    /// <param name="localNoise">Our Noise static key; <see langword="null"/> for plaintext.</param>
    /// <param name="remoteNoise">Dialer only: the listener's Noise static key.</param>
    /// <param name="signer">Our channel key: answers the peer's challenge.</param>
    /// <param name="domain">The EIP-712 domain of the answers.</param>
    /// <param name="isDialer">Whether we dialed (Noise initiator, answers first).</param>
    /// <param name="expectedPeer">The address the peer must prove, if any.</param>
    /// <param name="options">The handshake timeout and clock.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <exception cref="HandshakeException">The handshake failed (including timeout and connection loss).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<AuthenticatedSession> RunAsync(
        Stream network,
        NoiseStaticKey? localNoise,
        NoisePublicKey? remoteNoise,
        IChannelSigner signer,
        Eip712Domain domain,
        bool isDialer,
        EthAddress? expectedPeer,
        TcpTransportOptions options,
        CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.HandshakeTimeout, options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        FrameReader? reader = null;
        try
        {
            NoiseStream? noise = localNoise is null ? null
                : isDialer ? await NoiseSession.InitiateAsync(network, localNoise, remoteNoise!.Value, options.TimeProvider, linked.Token).ConfigureAwait(false)
                : await NoiseSession.RespondAsync(network, localNoise, options.TimeProvider, linked.Token).ConfigureAwait(false);
            Stream stream = (Stream?)noise ?? network;
            reader = FrameReader.Over(stream, options);
            EthAddress peer = await RunCoreAsync(stream, reader, noise?.HandshakeHash ?? [], signer, domain, isDialer, expectedPeer, linked.Token).ConfigureAwait(false);
            if (noise is not null)
            {
                noise.MaxIncomingMessage = NoiseStream.MaxMessage;
            }

            return new AuthenticatedSession(peer, stream, reader, noise?.RemoteStatic);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            reader?.Complete();
            throw new HandshakeException(HandshakeFailure.Timeout, $"The handshake did not finish within {options.HandshakeTimeout}.");
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            reader?.Complete();
            cancellationToken.ThrowIfCancellationRequested();
            throw new HandshakeException(HandshakeFailure.ConnectionLost, "The connection failed during the handshake.", e);
        }
        catch
        {
            reader?.Complete();
            throw;
        }
    }

    private static async Task<EthAddress> RunCoreAsync(
        Stream stream, FrameReader reader, byte[] sessionHash, IChannelSigner signer, Eip712Domain domain, bool isDialer, EthAddress? expectedPeer, CancellationToken ct)
    {
        EthAddress self = signer.Address;
        Hash32 challenge = Hash32.CreateRandom();
        await WriteAsync(stream, FrameKind.Hello, new HelloMessage(HelloMessage.CurrentVersion, self, challenge).ToPayload(), ct).ConfigureAwait(false);

        try
        {
            HelloMessage hello = await ReadHelloAsync(reader, ct).ConfigureAwait(false);
            if (hello.Address.IsZero || hello.Address == self)
            {
                throw new HandshakeException(HandshakeFailure.InvalidAddress, $"The peer claimed {(hello.Address.IsZero ? "the zero address" : "our own address")}.");
            }

            if (expectedPeer is { } expected && hello.Address != expected)
            {
                throw new HandshakeException(HandshakeFailure.UnexpectedPeer, $"Expected peer {expected}, but the peer is {hello.Address}.");
            }

            if (isDialer)
            {
                await AnswerAsync(stream, signer, domain, hello, sessionHash, ct).ConfigureAwait(false);
                await VerifyAnswerAsync(reader, domain, self, SessionBinding.Bind(challenge, sessionHash), hello.Address, ct).ConfigureAwait(false);
            }
            else
            {
                await VerifyAnswerAsync(reader, domain, self, SessionBinding.Bind(challenge, sessionHash), hello.Address, ct).ConfigureAwait(false);
                await AnswerAsync(stream, signer, domain, hello, sessionHash, ct).ConfigureAwait(false);
            }

            reader.Authenticated = true;
            return hello.Address;
        }
        catch (HandshakeException e) when (e.Failure is not (HandshakeFailure.Timeout or HandshakeFailure.ConnectionLost or HandshakeFailure.RejectedByPeer))
        {
            // Tell the peer why (best effort), so that its caller gets a precise error.
            await TrySendCloseAsync(stream, e.Failure, ct).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task AnswerAsync(Stream stream, IChannelSigner signer, Eip712Domain domain, HelloMessage peerHello, byte[] sessionHash, CancellationToken ct)
    {
        Signature answer = signer.SignHandshake(domain, SessionBinding.Bind(peerHello.Challenge, sessionHash), peerHello.Address);
        await WriteAsync(stream, FrameKind.Auth, answer.ToArray(), ct).ConfigureAwait(false);
    }

    private static async Task VerifyAnswerAsync(FrameReader reader, Eip712Domain domain, EthAddress self, Hash32 challenge, EthAddress peer, CancellationToken ct)
    {
        ReadOnlySequence<byte> payload = await ReadExpectedAsync(reader, FrameKind.Auth, ct).ConfigureAwait(false);
        Span<byte> bytes = stackalloc byte[Signature.Length];
        bool valid = false;
        if (payload.Length == Signature.Length)
        {
            payload.CopyTo(bytes);
            valid = Signature.TryFromBytes(bytes, out Signature signature)
                && Ecdsa.Verify(Eip712.HashHandshake(domain, challenge, self), signature, peer);
        }

        reader.Consume();
        if (!valid)
        {
            throw new HandshakeException(HandshakeFailure.InvalidSignature, $"The peer's answer is not a valid signature of our challenge by {peer}.");
        }
    }

    private static async Task<HelloMessage> ReadHelloAsync(FrameReader reader, CancellationToken ct)
    {
        ReadOnlySequence<byte> payload = await ReadExpectedAsync(reader, FrameKind.Hello, ct).ConfigureAwait(false);
        bool ok = HelloMessage.TryParse(payload, out HelloMessage hello, out HandshakeFailure failure, out string error);
        reader.Consume();
        return ok ? hello : throw new HandshakeException(failure, error);
    }

    /// <summary>Reads one frame that must be of kind <paramref name="kind"/>; the caller consumes it.</summary>
    private static async Task<ReadOnlySequence<byte>> ReadExpectedAsync(FrameReader reader, FrameKind kind, CancellationToken ct)
    {
        bool ok;
        FrameKind actual;
        ReadOnlySequence<byte> payload;
        try
        {
            (ok, actual, payload) = await reader.ReadAsync(ct).ConfigureAwait(false);
        }
        catch (FrameViolationException e)
        {
            throw e.Reason == CloseReason.ConnectionLost
                ? new HandshakeException(HandshakeFailure.ConnectionLost, "The peer closed the connection during the handshake.", e)
                : new HandshakeException(HandshakeFailure.Malformed, $"Malformed handshake frame: {e.Message}", e);
        }

        if (!ok)
        {
            throw new HandshakeException(HandshakeFailure.ConnectionLost, "The peer closed the connection during the handshake.");
        }

        if (actual == kind)
        {
            return payload;
        }

        string reason = actual == FrameKind.Close && payload.Length == 1 && Enum.IsDefined((HandshakeFailure)payload.FirstSpan[0])
            ? $" (reason: {(HandshakeFailure)payload.FirstSpan[0]})"
            : string.Empty;
        reader.Consume();
        if (actual == FrameKind.Close)
        {
            throw new HandshakeException(HandshakeFailure.RejectedByPeer, $"The peer refused the handshake{reason}.");
        }

        throw new HandshakeException(HandshakeFailure.Malformed, $"Expected a {kind} frame, got {actual}.");
    }

    private static async Task TrySendCloseAsync(Stream stream, HandshakeFailure failure, CancellationToken ct)
    {
        try
        {
            await WriteAsync(stream, FrameKind.Close, [(byte)failure], ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Best effort: the connection is being dropped anyway.
        }
    }

    private static ValueTask WriteAsync(Stream stream, FrameKind kind, ReadOnlySpan<byte> payload, CancellationToken ct) =>
        stream.WriteAsync(FrameFormat.Encode(kind, payload), ct);
}

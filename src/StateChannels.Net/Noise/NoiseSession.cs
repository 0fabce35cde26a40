namespace StateChannels.Net.Noise;

/// <summary>Runs the three BOLT 8 acts over a network stream and returns the encrypted session.</summary>
internal static class NoiseSession
{
    /// <summary>BOLT 8's prologue, kept as specified: the signed handshake inside the session separates our protocol.</summary>
    public static ReadOnlySpan<byte> Prologue => "lightning"u8;

    /// <summary>Initiator: acts one and three; needs the responder's static key (Noise_XK).</summary>
    /// <exception cref="HandshakeException">The responder's act two is refused (<see cref="HandshakeFailure.EncryptionFailed"/>).</exception>
    /// <exception cref="IOException">The stream ended or failed (a responder that does not have <paramref name="responder"/>'s key closes after act one).</exception>
    public static async Task<NoiseStream> InitiateAsync(Stream network, NoiseStaticKey local, NoisePublicKey responder, TimeProvider time, CancellationToken cancellationToken)
    {
        using var handshake = NoiseHandshake.Initiator(local.Key, responder.Point, Prologue);
        await network.WriteAsync(handshake.WriteActOne(), cancellationToken).ConfigureAwait(false);
        byte[] actTwo = new byte[NoiseHandshake.ActTwoSize];
        await network.ReadExactlyAsync(actTwo, cancellationToken).ConfigureAwait(false);
        Check(handshake.ReadActTwo(actTwo), "two");
        await network.WriteAsync(handshake.WriteActThree(), cancellationToken).ConfigureAwait(false);
        return Established(network, handshake, responder, time);
    }

    /// <summary>Responder: acts one to three with our static key; learns the initiator's.</summary>
    /// <exception cref="HandshakeException">Act one or three is refused (<see cref="HandshakeFailure.EncryptionFailed"/>).</exception>
    /// <exception cref="IOException">The stream ended or failed.</exception>
    public static async Task<NoiseStream> RespondAsync(Stream network, NoiseStaticKey local, TimeProvider time, CancellationToken cancellationToken)
    {
        using var handshake = NoiseHandshake.Responder(local.Key, Prologue);
        byte[] act = new byte[NoiseHandshake.ActThreeSize];
        await network.ReadExactlyAsync(act.AsMemory(0, NoiseHandshake.ActOneSize), cancellationToken).ConfigureAwait(false);
        Check(handshake.ReadActOne(act.AsSpan(0, NoiseHandshake.ActOneSize)), "one");
        await network.WriteAsync(handshake.WriteActTwo(), cancellationToken).ConfigureAwait(false);
        await network.ReadExactlyAsync(act, cancellationToken).ConfigureAwait(false);
        Check(handshake.ReadActThree(act), "three");
        return Established(network, handshake, NoisePublicKey.From(handshake.RemoteStatic!), time);
    }

    private static NoiseStream Established(Stream network, NoiseHandshake handshake, NoisePublicKey remote, TimeProvider time)
    {
        (NoiseCipherState send, NoiseCipherState receive) = handshake.Split();
        return new NoiseStream(network, send, receive, handshake.HandshakeHash.ToArray(), remote, time);
    }

    private static void Check(NoiseError error, string act)
    {
        if (error != NoiseError.None)
        {
            // BOLT 8: terminate without any further message.
            throw new HandshakeException(HandshakeFailure.EncryptionFailed, $"Noise act {act} refused: {error}.");
        }
    }
}

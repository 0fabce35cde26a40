using System.Security.Cryptography;

namespace StateChannels.Net.Authentication;

/// <summary>
/// Binds the signed handshake to the encrypted session under it (docs/encoding.md, "Off-chain
/// authentication"): over Noise, each side signs not the peer's challenge itself but
/// <c>SHA-256("StateChannels/noise-binding/v1" || h || challenge)</c>, where <c>h</c> is the Noise
/// handshake hash. Both ends of one session share <c>h</c>; a man in the middle runs two sessions
/// with two different <c>h</c>, so an answer it relays from one into the other does not verify.
/// </summary>
internal static class SessionBinding
{
    private static ReadOnlySpan<byte> Tag => "StateChannels/noise-binding/v1"u8;

    /// <summary>The challenge to sign and verify: <paramref name="challenge"/> itself in plaintext mode (empty <paramref name="handshakeHash"/>).</summary>
    public static Hash32 Bind(Hash32 challenge, ReadOnlySpan<byte> handshakeHash)
    {
        if (handshakeHash.IsEmpty)
        {
            return challenge;
        }

        Span<byte> input = stackalloc byte[Tag.Length + handshakeHash.Length + Hash32.Length];
        Tag.CopyTo(input);
        handshakeHash.CopyTo(input[Tag.Length..]);
        challenge.WriteTo(input[(Tag.Length + handshakeHash.Length)..]);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(input, digest);
        return Hash32.FromBytes(digest);
    }
}

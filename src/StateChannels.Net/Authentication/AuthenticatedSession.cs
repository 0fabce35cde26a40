using StateChannels.Net.Framing;
using StateChannels.Net.Noise;

namespace StateChannels.Net.Authentication;

/// <summary>The outcome of a successful handshake: who the peer is, and the stream and frame reader to go on with.</summary>
/// <param name="Peer">The peer's authenticated address.</param>
/// <param name="Stream">The encrypted session, or the socket's stream in plaintext mode.</param>
/// <param name="Frames">The frame reader over <paramref name="Stream"/>, already past the handshake frames.</param>
/// <param name="PeerNoiseKey">The peer's Noise static key, or <see langword="null"/> in plaintext mode.</param>
internal sealed record AuthenticatedSession(EthAddress Peer, Stream Stream, FrameReader Frames, NoisePublicKey? PeerNoiseKey);

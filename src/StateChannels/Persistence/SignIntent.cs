namespace StateChannels;

/// <summary>
/// The sign-once record: the highest-version state this party has signed in a channel, with its
/// EIP-712 digest and our signature. Durably stored before the signature leaves the process
/// (invariant 1); asked again for the same digest we re-send <see cref="Signature"/>; asked for a
/// different digest at this version or any lower version, we refuse.
/// </summary>
/// <param name="State">The state we signed.</param>
/// <param name="Digest">Its EIP-712 digest.</param>
/// <param name="Signature">Our signature over <paramref name="Digest"/>.</param>
public sealed record SignIntent(ChannelState State, Hash32 Digest, Signature Signature);

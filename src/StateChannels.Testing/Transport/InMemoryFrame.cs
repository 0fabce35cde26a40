namespace StateChannels.Testing;

/// <summary>A frame on its way through an <see cref="InMemoryTransport"/>, as fault predicates see it.</summary>
/// <param name="From">The sender's address.</param>
/// <param name="To">The receiver's address.</param>
/// <param name="Payload">The frame (a private copy; do not keep it past the predicate call).</param>
/// <param name="Index">0-based number of this frame among all frames <paramref name="From"/> sent over the transport, across reconnects.</param>
public readonly record struct InMemoryFrame(EthAddress From, EthAddress To, ReadOnlyMemory<byte> Payload, long Index);

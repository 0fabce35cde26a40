namespace StateChannels.Testing;

/// <summary>The two ends of one in-memory connection, made by <see cref="InMemoryTransport.Connect"/>.</summary>
/// <param name="First">The end held by <see cref="InMemoryTransport.First"/>; its <see cref="InMemoryConnection.Peer"/> is <see cref="InMemoryTransport.Second"/>.</param>
/// <param name="Second">The end held by <see cref="InMemoryTransport.Second"/>; its <see cref="InMemoryConnection.Peer"/> is <see cref="InMemoryTransport.First"/>.</param>
public sealed record InMemoryConnectionPair(InMemoryConnection First, InMemoryConnection Second);

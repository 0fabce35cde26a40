namespace StateChannels;

/// <summary>
/// An authenticated, ordered, framed connection to one peer.
/// <para>Contract: <see cref="Peer"/> has proven control of its address before the connection is
/// handed out (signed challenge). Frames arrive in the order sent, each whole, none larger than
/// the transport's maximum. <see cref="SendAsync"/> may be called concurrently (sends are
/// serialized); <see cref="ReceiveAsync"/> by one reader at a time. Neither throws for a peer's
/// misbehaviour beyond <see cref="StateChannelException"/>.</para>
/// </summary>
public interface IMessageConnection : IAsyncDisposable
{
    /// <summary>The authenticated address of the peer (its channel signing key's address).</summary>
    EthAddress Peer { get; }

    /// <summary>Sends one frame. Throws <see cref="StateChannelException"/> (<see cref="ErrorCode.PeerUnavailable"/>) if the connection is gone.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken = default);

    /// <summary>The next frame, or null once the connection is closed. The memory is valid until the next call.</summary>
    ValueTask<ReadOnlyMemory<byte>?> ReceiveAsync(CancellationToken cancellationToken = default);
}

namespace StateChannels.Protocol;

/// <summary>The engine's view of one live connection to a peer.</summary>
internal interface IPeerLink
{
    /// <summary>The authenticated peer address.</summary>
    EthAddress Peer { get; }

    /// <summary>Encodes and sends a message; false if the connection is gone (the engine recovers on reestablish).</summary>
    ValueTask<bool> SendAsync(ProtocolMessage message, CancellationToken cancellationToken = default);

    /// <summary>Drops the connection (peer misbehaved or an update timed out).</summary>
    void Abort(string reason);
}

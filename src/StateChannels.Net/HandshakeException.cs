namespace StateChannels.Net;

/// <summary>
/// An authentication handshake failed; no connection was handed out. <see cref="StateChannelException.Code"/>
/// is <see cref="ErrorCode.InvalidSignature"/> for a bad answer, <see cref="ErrorCode.ProtocolViolation"/> for a
/// malformed or unexpected hello, <see cref="ErrorCode.PeerRejected"/> when the peer refused us,
/// <see cref="ErrorCode.Timeout"/> or <see cref="ErrorCode.PeerUnavailable"/> for transient failures
/// (the only ones the dialer retries). <see cref="Failure"/> gives the precise reason.
/// </summary>
public sealed class HandshakeException : StateChannelException
{
    /// <summary>Creates the exception; the error code follows from <paramref name="failure"/>.</summary>
    /// <param name="failure">Why the handshake failed.</param>
    /// <param name="message">A description without secrets (no keys, no whole signatures).</param>
    /// <param name="innerException">The cause, if any.</param>
    public HandshakeException(HandshakeFailure failure, string message, Exception? innerException = null)
        : base(CodeOf(failure), message, innerException) => Failure = failure;

    /// <summary>Why the handshake failed.</summary>
    public HandshakeFailure Failure { get; }

    /// <summary>Whether retrying may help (the dialer retries only these).</summary>
    internal bool IsTransient => Failure is HandshakeFailure.Timeout or HandshakeFailure.ConnectionLost;

    private static ErrorCode CodeOf(HandshakeFailure failure) => failure switch
    {
        HandshakeFailure.InvalidSignature => ErrorCode.InvalidSignature,
        HandshakeFailure.RejectedByPeer => ErrorCode.PeerRejected,
        HandshakeFailure.Timeout => ErrorCode.Timeout,
        HandshakeFailure.ConnectionLost => ErrorCode.PeerUnavailable,
        _ => ErrorCode.ProtocolViolation,
    };
}

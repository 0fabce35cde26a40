namespace StateChannels;

/// <summary>What went wrong, for callers that branch on it. Stable: values are never renumbered.</summary>
public enum ErrorCode
{
    /// <summary>Input could not be parsed: malformed hex, address, amount, signature or message.</summary>
    InvalidFormat = 1,
    /// <summary>A signature is malformed, not low-s, has v outside {27,28}, or recovers to the wrong or zero address.</summary>
    InvalidSignature = 2,
    /// <summary>Channel parameters break a rule (participants, challenge duration, funding bounds).</summary>
    InvalidParams = 3,
    /// <summary>A proposed state is not a valid successor of the latest one (version, channel, total, direction of money).</summary>
    InvalidTransition = 4,
    /// <summary>Signing it would break sign-once: another state was signed at this version, or a higher version was signed.</summary>
    SignOnceViolation = 5,
    /// <summary>The peer sent two different fully signed states at one version.</summary>
    Equivocation = 6,
    /// <summary>The channel is in a phase where the call is not allowed.</summary>
    WrongPhase = 7,
    /// <summary>An amount is negative, too large, or the balance does not cover a payment.</summary>
    InsufficientFunds = 8,
    /// <summary>The store could not be read, failed verification on load, or a write did not become durable.</summary>
    StorageFailure = 9,
    /// <summary>A stored record carries a schema version newer than this library understands.</summary>
    UnsupportedSchemaVersion = 10,
    /// <summary>The peer broke the protocol (unexpected or oversized message, bad handshake).</summary>
    ProtocolViolation = 11,
    /// <summary>The peer is not connected or the connection was lost.</summary>
    PeerUnavailable = 12,
    /// <summary>The peer rejected our message with an error of its own.</summary>
    PeerRejected = 13,
    /// <summary>An operation did not complete in its allotted time.</summary>
    Timeout = 14,
    /// <summary>The chain's RPC endpoint failed or answered something malformed.</summary>
    ChainRpcFailure = 15,
    /// <summary>A transaction was mined but reverted, or was dropped.</summary>
    TransactionFailed = 16,
    /// <summary>Our local copy is behind the peer's or cannot be trusted; the channel must sync from the peer before any on-chain action.</summary>
    FallenBehind = 17,
    /// <summary>The channel's signing key is already in use by another instance.</summary>
    KeyInUse = 18,
    /// <summary>The chain view is stale: the head block is older than the allowed lag.</summary>
    StaleChain = 19,
    /// <summary>The proposer will never complete the proposal the responder signed; the responder may propose above it.</summary>
    ProposalAbandoned = 20,
}

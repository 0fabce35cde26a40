namespace StateChannels.Protocol;

/// <summary>
/// A peer-to-peer protocol message. The update protocol (docs/protocol.md): the proposer sends
/// <see cref="ProposeUpdate"/> unsigned; the responder checks it, durably records its intent,
/// signs and answers <see cref="AcceptUpdate"/> (or <see cref="RejectUpdate"/>); the proposer verifies,
/// signs, stores the fully signed state and answers <see cref="ConfirmUpdate"/>; the responder stores it.
/// </summary>
internal abstract record ProtocolMessage
{
    /// <summary>The wire type tag.</summary>
    public abstract MessageType Type { get; }
}

/// <summary>Wire type tags. Stable; an unknown tag is rejected.</summary>
internal enum MessageType : byte
{
    OpenRequest = 1,
    Propose = 2,
    Accept = 3,
    Confirm = 4,
    Reject = 5,
    Reestablish = 6,
}

/// <summary>The opener (participant 0) proposes a channel; version 0 follows as a <see cref="ProposeUpdate"/>.</summary>
internal sealed record OpenRequest(ChannelParams Params, Eip712Domain Domain) : ProtocolMessage
{
    public override MessageType Type => MessageType.OpenRequest;
}

/// <summary>An unsigned proposed state, built on the fully signed state at <see cref="BaseVersion"/>.</summary>
internal sealed record ProposeUpdate(ChannelState State, ulong BaseVersion) : ProtocolMessage
{
    public override MessageType Type => MessageType.Propose;
}

/// <summary>The responder's signature over the proposed state at <see cref="Version"/>.</summary>
internal sealed record AcceptUpdate(ChannelId ChannelId, ulong Version, Signature Signature) : ProtocolMessage
{
    public override MessageType Type => MessageType.Accept;
}

/// <summary>The proposer's signature: the state is now fully signed.</summary>
internal sealed record ConfirmUpdate(ChannelId ChannelId, ulong Version, Signature Signature) : ProtocolMessage
{
    public override MessageType Type => MessageType.Confirm;
}

/// <summary>The responder refuses the proposal at <see cref="Version"/> (it signed nothing).</summary>
internal sealed record RejectUpdate(ChannelId ChannelId, ulong Version, ErrorCode Code, string Reason) : ProtocolMessage
{
    /// <summary>Longest reason sent, in UTF-8 bytes.</summary>
    public const int MaxReasonBytes = 256;

    public override MessageType Type => MessageType.Reject;
}

/// <summary>
/// Sent by both sides on every (re)connect: the sender's latest fully signed state, and the
/// state it signed above that (its pending sign intent) with its signature, if any.
/// </summary>
internal sealed record Reestablish(ChannelId ChannelId, SignedState? Latest, ChannelState? Pending, Signature? PendingSignature) : ProtocolMessage
{
    public override MessageType Type => MessageType.Reestablish;
}

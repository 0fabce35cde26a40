namespace StateChannels;

/// <summary>
/// Everything durable about one channel except its state history: what a restarted client needs
/// to carry on, dispute, or sync from the peer. Written whole and atomically by
/// <see cref="IChannelStore.WriteAsync"/>. Immutable; use <c>with</c> to derive the next one.
/// </summary>
public sealed record ChannelRecord
{
    /// <summary>The schema version this library writes. Readers refuse newer ones.</summary>
    public const int CurrentSchemaVersion = 1;

    /// <summary>Schema version of this record.</summary>
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>The channel id (commits to params, chain id and adjudicator).</summary>
    public required ChannelId Id { get; init; }

    /// <summary>The channel's fixed parameters.</summary>
    public required ChannelParams Params { get; init; }

    /// <summary>The EIP-712 domain the channel's states are signed in (chain id and adjudicator).</summary>
    public required Eip712Domain Domain { get; init; }

    /// <summary>Our participant index, 0 (opener) or 1.</summary>
    public required int MyIndex { get; init; }

    /// <summary>The channel's phase.</summary>
    public required ChannelPhase Phase { get; init; }

    /// <summary>The latest fully signed state, or null while version 0 is still being signed.</summary>
    public SignedState? Latest { get; init; }

    /// <summary>Our sign-once record: the highest-version state we signed, or null if none yet.</summary>
    public SignIntent? LastSigned { get; init; }

    /// <summary>
    /// The highest version the peer has proven to have signed (in its reestablish, or by a late Accept
    /// of a proposal we gave up); next proposals go above it.
    /// </summary>
    public ulong PeerSignedVersion { get; init; }

    /// <summary>True when our copy cannot be trusted (failed verification, restored from backup): never dispute, sync from the peer first.</summary>
    public bool FallenBehind { get; init; }

    /// <summary>When the record was last written (UTC, from the client's TimeProvider).</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>
    /// When the channel entered its current <see cref="Phase"/> (UTC). Deadlines that run from a
    /// phase (the funding timeout, the delay before we submit a co-signed close) use it, never
    /// <see cref="UpdatedAt"/>: the peer can make us write the record (a reestablish), and must not
    /// push such a deadline back. Default for records written before it existed.
    /// </summary>
    public DateTimeOffset PhaseSince { get; init; }

    /// <summary>When the current phase began: <see cref="PhaseSince"/>, or for older records the last write.</summary>
    internal DateTimeOffset PhaseStart => PhaseSince != default ? PhaseSince : UpdatedAt;
}

namespace StateChannels;

/// <summary>
/// Something that happened to a channel. Delivered to every <see cref="StateChannelClient.EventsAsync"/>
/// reader. Events are derived from durable state: after a restart the client may report a state
/// again (for example <see cref="ChannelSynced"/>), so handlers must be idempotent — key them by
/// (<see cref="ChannelId"/>, version).
/// </summary>
/// <param name="ChannelId">The channel.</param>
public abstract record ChannelEvent(ChannelId ChannelId);

/// <summary>Our payment(s) at <paramref name="Version"/> are fully signed and durable.</summary>
public sealed record PaymentSent(ChannelId ChannelId, ulong Version, Amount Amount, Amount MyBalance) : ChannelEvent(ChannelId);

/// <summary>The peer paid us: the state at <paramref name="Version"/> is fully signed and durable on our side.</summary>
public sealed record PaymentReceived(ChannelId ChannelId, ulong Version, Amount Amount, Amount MyBalance) : ChannelEvent(ChannelId);

/// <summary>Both deposits are confirmed: payments can flow.</summary>
public sealed record ChannelFunded(ChannelId ChannelId) : ChannelEvent(ChannelId);

/// <summary>
/// The peer did not fund in time; the channel is aborted. If we deposited, the client then
/// registers version 0 on chain (a <see cref="DisputeSeen"/> follows) so that after the challenge
/// period each participant gets back exactly what it deposited: run the watcher
/// (<see cref="StateChannelClient.RunWatcherAsync"/>) or call <see cref="Channel.ForceCloseAsync"/> to conclude.
/// </summary>
public sealed record FundingTimedOut(ChannelId ChannelId) : ChannelEvent(ChannelId);

/// <summary>A state was registered on chain for this channel.</summary>
public sealed record DisputeSeen(ChannelId ChannelId, ulong Version) : ChannelEvent(ChannelId);

/// <summary>The peer registered version <paramref name="Registered"/> on chain; we refuted it with our later <paramref name="Refuted"/>.</summary>
public sealed record DisputeRefuted(ChannelId ChannelId, ulong Registered, ulong Refuted) : ChannelEvent(ChannelId);

/// <summary>The channel is concluded on chain.</summary>
public sealed record ChannelClosed(ChannelId ChannelId, ulong Version) : ChannelEvent(ChannelId);

/// <summary>Our copy was behind (or untrusted) and is now synced from the peer's signed evidence.</summary>
public sealed record ChannelSynced(ChannelId ChannelId, ulong Version) : ChannelEvent(ChannelId);

/// <summary>Two different states were signed at one version — an alarm: another instance may be using our key, or the peer cheats.</summary>
public sealed record EquivocationDetected(ChannelId ChannelId, ulong Version, string Detail) : ChannelEvent(ChannelId);

/// <summary>
/// An alarm (THREATS F3): the peer holds a state signed with our key at a version this client's store
/// never signed, so another instance uses our key. From now on this client signs nothing (calls fail
/// with <see cref="ErrorCode.KeyInUse"/>) until it is restarted; disputes with states already signed
/// go on. Stop the other instance before restarting this one.
/// </summary>
public sealed record KeyInUseDetected(ChannelId ChannelId, ulong Version, string Detail) : ChannelEvent(ChannelId);

/// <summary>The peer broke the protocol; its connection was dropped and our state is unchanged.</summary>
public sealed record PeerMisbehaved(ChannelId ChannelId, EthAddress Peer, string Reason) : ChannelEvent(ChannelId);

/// <summary>
/// An alarm about the chain, not about one channel (<see cref="ChannelEvent.ChannelId"/> is
/// <see cref="ChannelId.Zero"/>): the chain view stopped advancing — the head block is older than
/// <see cref="StateChannelClientOptions.StaleChainThreshold"/>, or the RPC has failed for that long.
/// While it lasts a registration by the peer may go unseen: switch to another RPC endpoint or node.
/// </summary>
public sealed record ChainStale(string Reason) : ChannelEvent(ChannelId.Zero);

/// <summary>The chain view advances again after a <see cref="ChainStale"/> alarm (<see cref="ChannelEvent.ChannelId"/> is <see cref="ChannelId.Zero"/>).</summary>
public sealed record ChainFresh(string Reason) : ChannelEvent(ChannelId.Zero);

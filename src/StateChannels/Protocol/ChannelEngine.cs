using Microsoft.Extensions.Logging;

namespace StateChannels.Protocol;

/// <summary>The shared dependencies of every channel machine of one client.</summary>
internal sealed class ChannelEngine(
    StateChannelClientOptions options,
    IChannelSigner signer,
    IChannelStore store,
    IAdjudicator adjudicator,
    TimeProvider time,
    ILogger logger,
    ChannelEventHub events,
    ClientMetrics metrics)
{
    public StateChannelClientOptions Options { get; } = options;

    public IChannelSigner Signer { get; } = signer;

    public IChannelStore Store { get; } = store;

    public IAdjudicator Adjudicator { get; } = adjudicator;

    public TimeProvider Time { get; } = time;

    public ILogger Logger { get; } = logger;

    public ChannelEventHub Events { get; } = events;

    public ClientMetrics Metrics { get; } = metrics;

    private int _keyInUse;

    /// <summary>
    /// Set once another instance is proven to sign with our key (F3). From then on this client signs
    /// no state, in any channel, until it is restarted; on-chain actions with states already fully
    /// signed (register, refute, conclude) go on.
    /// </summary>
    public bool KeyInUse => Volatile.Read(ref _keyInUse) != 0;

    /// <summary>Sets <see cref="KeyInUse"/>; true the first time.</summary>
    public bool MarkKeyInUse() => Interlocked.Exchange(ref _keyInUse, 1) == 0;
}

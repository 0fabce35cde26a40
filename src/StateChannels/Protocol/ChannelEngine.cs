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
}

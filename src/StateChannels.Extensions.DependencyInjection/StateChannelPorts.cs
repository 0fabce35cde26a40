namespace StateChannels.Extensions.DependencyInjection;

/// <summary>
/// How the client's ports are made, as set by <see cref="StateChannelsBuilder"/>. A port left null is
/// resolved from the container (<see cref="IChannelSigner"/>, <see cref="IChannelStore"/>,
/// <see cref="IAdjudicator"/>). Ports made here are owned (and disposed) by the client provider.
/// </summary>
internal sealed class StateChannelPorts
{
    public Func<IServiceProvider, CancellationToken, Task<IChannelSigner>>? Signer { get; set; }

    public Func<IServiceProvider, CancellationToken, Task<IChannelStore>>? Store { get; set; }

    public Func<IServiceProvider, CancellationToken, Task<IAdjudicator>>? Adjudicator { get; set; }
}

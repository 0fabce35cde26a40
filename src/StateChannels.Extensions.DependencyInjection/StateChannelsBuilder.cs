using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace StateChannels.Extensions.DependencyInjection;

/// <summary>
/// Returned by <c>AddStateChannels</c>: says how the client's ports are made and whether a hosted
/// service runs it. A port not given here is resolved from the container. Ports made by a factory
/// given here belong to the client provider, which disposes them after the client.
/// </summary>
public sealed class StateChannelsBuilder
{
    internal StateChannelsBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection being configured.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Makes the channel signer (holds the channel signing key, never the on-chain transaction key).</summary>
    /// <param name="factory">Called once, when the client is created.</param>
    /// <returns>This builder.</returns>
    public StateChannelsBuilder UseSigner(Func<IServiceProvider, IChannelSigner> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.Configure<StateChannelPorts>(p => p.Signer = (sp, _) => Task.FromResult(factory(sp)));
        return this;
    }

    /// <summary>Makes the channel store (e.g. <c>LiteDbChannelStore.Open(path)</c>).</summary>
    /// <param name="factory">Called once, when the client is created.</param>
    /// <returns>This builder.</returns>
    public StateChannelsBuilder UseStore(Func<IServiceProvider, IChannelStore> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.Configure<StateChannelPorts>(p => p.Store = (sp, _) => Task.FromResult(factory(sp)));
        return this;
    }

    /// <summary>Makes the adjudicator.</summary>
    /// <param name="factory">Called once, when the client is created.</param>
    /// <returns>This builder.</returns>
    public StateChannelsBuilder UseAdjudicator(Func<IServiceProvider, IAdjudicator> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.Configure<StateChannelPorts>(p => p.Adjudicator = (sp, _) => Task.FromResult(factory(sp)));
        return this;
    }

    /// <summary>Makes the adjudicator asynchronously (e.g. <c>EthereumAdjudicator.ConnectAsync</c>, which checks the contract on chain).</summary>
    /// <param name="factory">Called once, when the client is created, with the creating caller's token.</param>
    /// <returns>This builder.</returns>
    public StateChannelsBuilder UseAdjudicator<TAdjudicator>(Func<IServiceProvider, CancellationToken, Task<TAdjudicator>> factory)
        where TAdjudicator : IAdjudicator
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.Configure<StateChannelPorts>(p => p.Adjudicator = async (sp, ct) => await factory(sp, ct).ConfigureAwait(false));
        return this;
    }

    /// <summary>
    /// Adds a hosted service that creates the client when the host starts (so a store or chain that
    /// fails stops the start with its error) and, unless <see cref="StateChannelHostOptions.RunWatcher"/>
    /// is false, runs <see cref="StateChannelClient.RunWatcherAsync"/> until the host stops.
    /// </summary>
    /// <param name="configure">Sets the hosting options; null keeps the defaults.</param>
    /// <returns>This builder.</returns>
    public StateChannelsBuilder AddHostedClient(Action<StateChannelHostOptions>? configure = null)
    {
        var options = Services.AddOptions<StateChannelHostOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        Services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, StateChannelHostedService>());
        return this;
    }
}

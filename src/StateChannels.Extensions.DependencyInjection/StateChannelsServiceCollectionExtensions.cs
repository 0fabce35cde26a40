using Microsoft.Extensions.DependencyInjection.Extensions;
using StateChannels;
using StateChannels.Extensions.DependencyInjection;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers StateChannels in a service collection.</summary>
public static class StateChannelsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="StateChannelClientOptions"/> (options pattern), and
    /// <see cref="IStateChannelClientProvider"/> as a singleton that creates the one client with the
    /// container's <c>ILoggerFactory</c>, <see cref="TimeProvider"/> and <c>IMeterFactory</c> when
    /// they are registered. Say how the ports are made with the returned builder (or register
    /// <see cref="IChannelSigner"/>, <see cref="IChannelStore"/> and <see cref="IAdjudicator"/>), and
    /// add <see cref="StateChannelsBuilder.AddHostedClient"/> to create the client at host start and
    /// run its watcher. Calling it again adds configuration, not a second client.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the client options; null keeps the defaults. Validated when the client is created.</param>
    /// <returns>A builder for the ports and the hosted service.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public static StateChannelsBuilder AddStateChannels(
        this IServiceCollection services, Action<StateChannelClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<StateChannelClientOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddOptions<StateChannelPorts>();
        services.TryAddSingleton<IStateChannelClientProvider, StateChannelClientProvider>();
        return new StateChannelsBuilder(services);
    }
}

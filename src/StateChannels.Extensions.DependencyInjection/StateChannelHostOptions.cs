namespace StateChannels.Extensions.DependencyInjection;

/// <summary>Options of the hosted service added by <see cref="StateChannelsBuilder.AddHostedClient"/>.</summary>
public sealed class StateChannelHostOptions
{
    /// <summary>
    /// Runs the client's watcher (refutes stale registrations, concludes after deadlines) while the
    /// host runs. Default true: turn it off only when a separate watchtower watches these channels.
    /// </summary>
    public bool RunWatcher { get; set; } = true;
}

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace StateChannels.Extensions.DependencyInjection;

/// <summary>
/// Creates the client when the host starts (a failure fails the start), then runs its watcher until
/// the host stops. The client itself is disposed with the container, after every hosted service stopped.
/// </summary>
internal sealed partial class StateChannelHostedService(
    IStateChannelClientProvider provider,
    IOptions<StateChannelHostOptions> options,
    ILogger<StateChannelHostedService>? logger = null) : BackgroundService
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;
    private StateChannelClient? _client;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        _client = await provider.GetClientAsync(cancellationToken).ConfigureAwait(false);
        ClientStarted(_logger, _client.Address, _client.Channels.Count);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.RunWatcher || _client is null)
        {
            return;
        }

        try
        {
            await _client.RunWatcherAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "state channel client {Address} started with {Channels} channels")]
    private static partial void ClientStarted(ILogger logger, EthAddress address, int channels);
}

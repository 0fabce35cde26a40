using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace StateChannels.Extensions.DependencyInjection;

/// <summary>
/// Creates the client once, from the options and the ports; disposes it, then the ports it made,
/// when the container is disposed.
/// </summary>
internal sealed class StateChannelClientProvider(
    IServiceProvider services,
    IOptions<StateChannelClientOptions> options,
    IOptions<StateChannelPorts> ports) : IStateChannelClientProvider, IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<object> _owned = [];
    private StateChannelClient? _client;
    private bool _disposed;

    public ValueTask<StateChannelClient> GetClientAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Volatile.Read(ref _client) is { } client ? ValueTask.FromResult(client) : new(CreateOnceAsync(cancellationToken));
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_client is { } client)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }

            await DisposeOwnedAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<StateChannelClient> CreateOnceAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_client is { } existing)
            {
                return existing;
            }

            try
            {
                var p = ports.Value;
                var signer = await MakeAsync(p.Signer, "an IChannelSigner", "UseSigner", cancellationToken).ConfigureAwait(false);
                var store = await MakeAsync(p.Store, "an IChannelStore", "UseStore", cancellationToken).ConfigureAwait(false);
                var adjudicator = await MakeAsync(p.Adjudicator, "an IAdjudicator", "UseAdjudicator", cancellationToken).ConfigureAwait(false);
                var clientOptions = options.Value;
                clientOptions.MeterFactory ??= services.GetService<IMeterFactory>();
                var client = await StateChannelClient.CreateAsync(
                    clientOptions,
                    signer,
                    store,
                    adjudicator,
                    services.GetService<TimeProvider>(),
                    services.GetService<ILoggerFactory>(),
                    cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _client, client);
                return client;
            }
            catch
            {
                // Nothing is cached: the next call makes the ports again.
                await DisposeOwnedAsync().ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Makes a port with its configured factory (and owns it), else resolves it from the container.</summary>
    private async Task<T> MakeAsync<T>(
        Func<IServiceProvider, CancellationToken, Task<T>>? factory, string what, string method, CancellationToken cancellationToken)
        where T : class
    {
        if (factory is null)
        {
            return services.GetService<T>() ?? throw new InvalidOperationException(
                $"StateChannels needs {what}: register one in the container or call {method} on the builder AddStateChannels returns.");
        }

        var port = await factory(services, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"the {method} factory returned null");
        _owned.Add(port);
        return port;
    }

    private async Task DisposeOwnedAsync()
    {
        // In reverse order of creation: the adjudicator, then the store, then the signer.
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            switch (_owned[i])
            {
                case IAsyncDisposable a:
                    await a.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable d:
                    d.Dispose();
                    break;
            }
        }

        _owned.Clear();
    }
}

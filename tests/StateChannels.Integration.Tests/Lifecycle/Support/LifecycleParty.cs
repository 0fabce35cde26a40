using System.Collections.Concurrent;
using StateChannels.Ethereum;
using StateChannels.Storage.LiteDb;

namespace StateChannels.Integration.Tests.Lifecycle.Support;

/// <summary>
/// One in-process party: a funded anvil account whose key is both the channel signing key and the
/// transaction key (so its ETH balance shows deposits, payouts and gas together), a LiteDB file,
/// an <see cref="EthereumAdjudicator"/> behind a <see cref="GatedAdjudicator"/>, and a
/// <see cref="StateChannelClient"/>. Records every channel event; runs the watcher on request.
/// </summary>
public sealed class LifecycleParty : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _background = [];
    private readonly LiteDbChannelStore _store;
    private bool _stopped;
    private bool _disposed;

    private LifecycleParty(string name, string keyHex, PrivateKey key, LiteDbChannelStore store, EthereumAdjudicator chain, GatedAdjudicator gate, StateChannelClient client)
    {
        Name = name;
        KeyHex = keyHex;
        Key = key;
        _store = store;
        Chain = chain;
        Gate = gate;
        Client = client;
    }

    public string Name { get; }

    public PrivateKey Key { get; }

    /// <summary>The key as hex, to start the party again from its file (<see cref="CreateAsync"/>).</summary>
    public string KeyHex { get; }

    public EthAddress Address => Key.Address;

    /// <summary>The party's own adjudicator client (sends from <see cref="Address"/>).</summary>
    public EthereumAdjudicator Chain { get; }

    /// <summary>What the client sees of the chain; can refuse to deposit.</summary>
    public GatedAdjudicator Gate { get; }

    public StateChannelClient Client { get; }

    /// <summary>The party's store (readable while the client runs).</summary>
    public IChannelStore Store => _store;

    /// <summary>The stored record of <paramref name="id"/>, read from the file.</summary>
    public async Task<ChannelRecord?> StoredRecordAsync(ChannelId id)
    {
        await foreach (var record in _store.GetChannelsAsync())
        {
            if (record.Id == id)
            {
                return record;
            }
        }

        return null;
    }

    public ConcurrentQueue<ChannelEvent> Events { get; } = new();

    /// <summary>Client options fast enough for a local chain; <paramref name="asset"/> for channels it opens.</summary>
    public static StateChannelClientOptions FastOptions(EthAddress asset) => new()
    {
        Asset = asset,
        ChainPollInterval = TimeSpan.FromMilliseconds(50),
        UpdateTimeout = TimeSpan.FromSeconds(10),
        MaxAcceptedFunding = Amount.FromWei(100 * LifecycleChain.Ether),
        ChallengeDuration = TimeSpan.FromHours(1),
    };

    /// <summary>
    /// Creates a party; with <paramref name="keyHex"/> (a stopped party's), it starts again from that party's file.
    /// With <paramref name="followChainEvents"/> its watcher follows the adjudicator's events through a real
    /// <see cref="EthereumChainEventSource"/> (from a durable cursor) instead of looking at every channel each poll;
    /// <paramref name="wrap"/> puts a decorator between the client and its adjudicator (under the gate).
    /// </summary>
    public static async Task<LifecycleParty> CreateAsync(
        LifecycleChain chain, string name, string directory, StateChannelClientOptions options, string? keyHex = null,
        bool followChainEvents = false, Func<IAdjudicator, IAdjudicator>? wrap = null)
    {
        keyHex ??= chain.NextFundedKey();
        var key = PrivateKey.Parse(keyHex);
        var adjudicator = await EthereumAdjudicator.ConnectAsync(chain.Node.RpcUrl, chain.Adjudicator, key, LifecycleChain.FastOptions());
        var gate = new GatedAdjudicator(wrap is null ? adjudicator : wrap(adjudicator));
        var store = LiteDbChannelStore.Open(Path.Combine(directory, name + ".db"));
        var client = followChainEvents
            ? await StateChannelClient.CreateAsync(
                options, new PrivateKeySigner(key), store, gate,
                new EthereumChainEventSource(chain.Node.RpcUrl, chain.Adjudicator, LifecycleChain.FastOptions()))
            : await StateChannelClient.CreateAsync(options, new PrivateKeySigner(key), store, gate);
        var party = new LifecycleParty(name, keyHex, key, store, adjudicator, gate, client);
        party.StartEventPump();
        return party;
    }

    /// <summary>Runs <see cref="StateChannelClient.RunWatcherAsync"/> until the party stops.</summary>
    public void StartWatcher() => _background.Add(WatchAsync());

    /// <summary>Serves <paramref name="connection"/> with the client until it closes or the party stops.</summary>
    public void Serve(IMessageConnection connection) => _background.Add(Client.RunConnectionAsync(connection, _stop.Token));

    /// <summary>The first recorded event of type <typeparamref name="T"/> that matches, waiting up to <paramref name="timeout"/>.</summary>
    public async Task<T> WaitForEventAsync<T>(Func<T, bool> match, TimeSpan timeout)
        where T : ChannelEvent
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            if (Events.OfType<T>().FirstOrDefault(match) is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < until, $"{Name}: no {typeof(T).Name} within {timeout}; saw {string.Join(", ", Events.Select(e => e.GetType().Name))}");
            await Task.Delay(20);
        }
    }

    /// <summary>Stops the client as a crash would end it: connections and watcher end, nothing more is sent.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _stop.CancelAsync();
        await Client.DisposeAsync();
        try
        {
            await Task.WhenAll(_background).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await StopAsync();
        await _store.DisposeAsync();
        Key.Dispose();
        _stop.Dispose();
    }

    private async Task WatchAsync()
    {
        try
        {
            await Client.RunWatcherAsync(_stop.Token);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private void StartEventPump()
    {
        // The subscription is made by the first MoveNextAsync, synchronously: before any connection.
        var events = Client.EventsAsync(_stop.Token).GetAsyncEnumerator(_stop.Token);
        var first = events.MoveNextAsync();
        _background.Add(PumpAsync(events, first));
    }

    private async Task PumpAsync(IAsyncEnumerator<ChannelEvent> events, ValueTask<bool> first)
    {
        try
        {
            for (var next = first; await next; next = events.MoveNextAsync())
            {
                Events.Enqueue(events.Current);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            await events.DisposeAsync();
        }
    }
}

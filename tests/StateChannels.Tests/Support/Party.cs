using StateChannels.Testing;

namespace StateChannels.Tests.Support;

/// <summary>A participant in engine scenario tests: key, store, client on a simulated chain.</summary>
internal sealed class Party : IAsyncDisposable
{
    private readonly List<(CancellationTokenSource Stop, Task Run)> _connections = [];

    private Party(string name, PrivateKey key, IChannelStore store, StateChannelClient client)
    {
        Name = name;
        Key = key;
        Store = store;
        Client = client;
    }

    public string Name { get; }

    public PrivateKey Key { get; }

    public IChannelStore Store { get; }

    public StateChannelClient Client { get; private set; }

    public EthAddress Address => Key.Address;

    public static StateChannelClientOptions FastOptions() => new()
    {
        ChainPollInterval = TimeSpan.FromMilliseconds(5),
        MaxAcceptedFunding = new Amount(1_000_000_000),
        UpdateTimeout = TimeSpan.FromSeconds(5),
    };

    public static async Task<Party> CreateAsync(
        string name, SimulatedChain chain, IChannelStore? store = null, StateChannelClientOptions? options = null,
        TimeProvider? clientTime = null, PrivateKey? keyOf = null, bool chainEvents = true, IAdjudicator? adjudicator = null,
        Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null)
    {
        var key = keyOf ?? PrivateKey.Create();
        store ??= new InMemoryChannelStore();
        adjudicator ??= chain.For(key.Address);
        var client = chainEvents
            ? await StateChannelClient.CreateAsync(
                options ?? FastOptions(), new PrivateKeySigner(key), store, adjudicator, chain.Events, clientTime ?? chain.Time, loggerFactory)
            : await StateChannelClient.CreateAsync(
                options ?? FastOptions(), new PrivateKeySigner(key), store, adjudicator, clientTime ?? chain.Time, loggerFactory);
        return new Party(name, key, store, client);
    }

    /// <summary>Wraps a client created by the test itself.</summary>
    public static Task<Party> CreateWith(string name, PrivateKey key, IChannelStore store, StateChannelClient client) =>
        Task.FromResult(new Party(name, key, store, client));

    /// <summary>Connects two parties over an in-memory link and serves it on both sides.</summary>
    public static InMemoryTransport Connect(Party a, Party b)
    {
        var link = new InMemoryTransport(a.Address, b.Address);
        Reconnect(link, a, b);
        return link;
    }

    /// <summary>Takes <paramref name="link"/> down and up again (a reconnect), serving the new pair on both sides.</summary>
    public static void Reconnect(InMemoryTransport link, Party a, Party b)
    {
        var pair = link.Connect();
        a.Serve(pair.First);
        b.Serve(pair.Second);
    }

    public void Serve(IMessageConnection connection)
    {
        var stop = new CancellationTokenSource();
        _connections.Add((stop, Client.RunConnectionAsync(connection, stop.Token)));
    }

    public async Task DisconnectAllAsync()
    {
        foreach (var (stop, run) in _connections)
        {
            await stop.CancelAsync();
            await run;
        }

        _connections.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await DisconnectAllAsync();
        await Client.DisposeAsync();
    }
}

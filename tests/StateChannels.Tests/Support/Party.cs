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

    public static async Task<Party> CreateAsync(string name, SimulatedChain chain, IChannelStore? store = null, StateChannelClientOptions? options = null)
    {
        var key = PrivateKey.Create();
        store ??= new InMemoryChannelStore();
        var client = await StateChannelClient.CreateAsync(
            options ?? FastOptions(), new PrivateKeySigner(key), store, chain.For(key.Address), chain.Time);
        return new Party(name, key, store, client);
    }

    /// <summary>Connects two parties over a fresh in-memory pair and serves it on both sides.</summary>
    public static (MemoryPipe.Connection AtoB, MemoryPipe.Connection BtoA) Connect(Party a, Party b)
    {
        var (ab, ba) = MemoryPipe.Pair(a.Address, b.Address);
        a.Serve(ab);
        b.Serve(ba);
        return (ab, ba);
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

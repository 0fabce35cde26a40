using StateChannels.Testing;

namespace StateChannels.Ethereum.Tests;

/// <summary>
/// A client on anvil: a fresh channel signing key (no ETH, so payouts show to the wei), an anvil
/// account as transaction key, an in-memory store, the Ethereum adjudicator and event source.
/// </summary>
internal sealed class AnvilParty : IAsyncDisposable
{
    private readonly List<(CancellationTokenSource Stop, Task Run)> _connections = [];

    private AnvilParty(PrivateKey key, IChannelStore store, EthereumAdjudicator chain, EthereumChainEventSource events, StateChannelClient client)
    {
        Key = key;
        Store = store;
        Chain = chain;
        Events = events;
        Client = client;
    }

    public PrivateKey Key { get; }

    public EthAddress Address => Key.Address;

    public IChannelStore Store { get; }

    public EthereumAdjudicator Chain { get; }

    public EthereumChainEventSource Events { get; }

    public StateChannelClient Client { get; }

    public static StateChannelClientOptions Options(long maxAcceptedFunding = 1_000_000) => new()
    {
        ChainPollInterval = TimeSpan.FromMilliseconds(20),
        MaxAcceptedFunding = new Amount((ulong)maxAcceptedFunding),
        UpdateTimeout = TimeSpan.FromSeconds(10),
    };

    public static async Task<AnvilParty> CreateAsync(
        AnvilFixture fx, PrivateKey transactionKey, int depth = 1, StateChannelClientOptions? options = null,
        IChannelStore? store = null, PrivateKey? key = null, TimeProvider? time = null)
    {
        key ??= PrivateKey.Create();
        store ??= new InMemoryChannelStore();
        var chain = await fx.ConnectAsync(transactionKey, AnvilFixture.FastOptions(depth));
        var events = new EthereumChainEventSource(fx.RpcUrl, fx.Adjudicator, AnvilFixture.FastOptions(depth));
        var client = await StateChannelClient.CreateAsync(
            options ?? Options(), new PrivateKeySigner(key), store, chain, events, time ?? TimeProvider.System);
        return new AnvilParty(key, store, chain, events, client);
    }

    /// <summary>Connects two parties over an in-memory link and serves it on both sides.</summary>
    public static void Connect(AnvilParty a, AnvilParty b)
    {
        var pair = new InMemoryTransport(a.Address, b.Address).Connect();
        a.Serve(pair.First);
        b.Serve(pair.Second);
    }

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? limit = null)
    {
        var until = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(60));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in time");
            await Task.Delay(10);
        }
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan? limit = null)
    {
        var until = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in time");
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (stop, run) in _connections)
        {
            await stop.CancelAsync();
            await run;
            stop.Dispose();
        }

        await Client.DisposeAsync();
    }

    private void Serve(IMessageConnection connection)
    {
        var stop = new CancellationTokenSource();
        _connections.Add((stop, Client.RunConnectionAsync(connection, stop.Token)));
    }
}

using StateChannels.Testing;

namespace StateChannels.Storage.LiteDb.Tests;

/// <summary>
/// THREATS C12: a graceful restart round trip on LiteDB files. Both clients are disposed mid-channel
/// and recreated from their files; every channel comes back exactly as it was live (params, phase,
/// latest fully signed state), and the channel then finishes normally: more payments both ways and
/// a cooperative close that pays the final balances to the wei.
/// </summary>
public sealed class GracefulRestartTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _directory = new();
    private readonly SimulatedChain _chain = new(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
    private readonly List<(CancellationTokenSource Stop, Task Run)> _connections = [];

    public void Dispose() => _directory.Dispose();

    private static StateChannelClientOptions Options() => new()
    {
        ChainPollInterval = TimeSpan.FromMilliseconds(5),
        MaxAcceptedFunding = new Amount(1_000_000),
    };

    private async Task<(StateChannelClient Client, LiteDbChannelStore Store)> StartAsync(PrivateKey key, string file)
    {
        var store = LiteDbChannelStore.Open(_directory.File(file));
        var client = await StateChannelClient.CreateAsync(Options(), new PrivateKeySigner(key), store, _chain.For(key.Address), _chain.Time);
        return (client, store);
    }

    private void Connect(StateChannelClient a, StateChannelClient b)
    {
        var pair = new InMemoryTransport(a.Address, b.Address).Connect();
        foreach (var (client, connection) in new[] { (a, pair.First), (b, pair.Second) })
        {
            var stop = new CancellationTokenSource();
            _connections.Add((stop, client.RunConnectionAsync(connection, stop.Token)));
        }
    }

    private async Task StopAsync(params (StateChannelClient Client, LiteDbChannelStore Store)[] parties)
    {
        foreach (var (stop, run) in _connections)
        {
            await stop.CancelAsync();
            await run;
        }

        _connections.Clear();
        foreach (var (client, store) in parties)
        {
            await client.DisposeAsync();
            await store.DisposeAsync();
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in time");
            await Task.Delay(5);
        }
    }

    private static void AssertSame(Channel live, Channel restored)
    {
        Assert.Equal(live.Id, restored.Id);
        Assert.Equal(live.Params, restored.Params);
        Assert.Equal(live.MyIndex, restored.MyIndex);
        Assert.Equal(live.Peer, restored.Peer);
        Assert.Equal(live.Phase, restored.Phase);
        Assert.Equal(live.Latest, restored.Latest);
        Assert.Equal(live.MyBalance, restored.MyBalance);
    }

    [Fact]
    public async Task Restart_BothClientsMidChannel_RestoredEqualsLiveAndChannelFinishes()
    {
        using var aliceKey = PrivateKey.Create();
        using var bobKey = PrivateKey.Create();
        var alice = await StartAsync(aliceKey, "alice.db");
        var bob = await StartAsync(bobKey, "bob.db");
        Connect(alice.Client, bob.Client);
        var a = await alice.Client.OpenChannelAsync(bob.Client.Address, 1_000, 500).WaitAsync(Limit);
        var b = bob.Client.GetChannel(a.Id);
        await WaitUntilAsync(() => b.Phase == ChannelPhase.Active);
        for (var i = 0; i < 4; i++)
        {
            await a.PayAsync(30).WaitAsync(Limit);
            await b.PayAsync(7).WaitAsync(Limit);
        }

        await WaitUntilAsync(() => a.Latest!.State.Version == 8 && b.Latest!.State.Version == 8);
        var liveA = a.Latest;
        var liveB = b.Latest;
        await StopAsync(alice, bob);

        alice = await StartAsync(aliceKey, "alice.db");
        bob = await StartAsync(bobKey, "bob.db");
        var a2 = Assert.Single(alice.Client.Channels);
        var b2 = Assert.Single(bob.Client.Channels);
        AssertSame(a, a2);
        AssertSame(b, b2);
        Assert.Equal(liveA, a2.Latest);
        Assert.Equal(liveB, b2.Latest);
        Assert.Equal(new Amount(1_000 - 120 + 28), a2.MyBalance);

        Connect(alice.Client, bob.Client);
        await a2.PayAsync(100).WaitAsync(Limit);
        await b2.PayAsync(1).WaitAsync(Limit);
        await WaitUntilAsync(() => b2.Latest!.State.Version == 10 && a2.Latest!.State.Version == 10);
        await a2.CloseAsync().WaitAsync(Limit);
        Assert.Equal(ChannelPhase.Closed, a2.Phase);
        Assert.Equal(new Amount(1_000 - 120 + 28 - 100 + 1), _chain.BalanceOf(aliceKey.Address, EthAddress.Zero));
        Assert.Equal(new Amount(500 + 120 - 28 + 100 - 1), _chain.BalanceOf(bobKey.Address, EthAddress.Zero));
        await StopAsync(alice, bob);
    }
}

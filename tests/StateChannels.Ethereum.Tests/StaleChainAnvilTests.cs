using Microsoft.Extensions.Time.Testing;
using StateChannels.Testing;
using StateChannels.TestKit;

namespace StateChannels.Ethereum.Tests;

/// <summary>The stale-head alarm on anvil (B15): automine off, so the head stops advancing; and a node that goes away.</summary>
public sealed class StaleChainAnvilTests(AnvilFixture fx) : IClassFixture<AnvilFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private static StateChannelClientOptions Options() => new()
    {
        ChainPollInterval = TimeSpan.FromMilliseconds(20),
        StaleChainThreshold = TimeSpan.FromMinutes(1),
    };

    [Fact]
    public async Task Watcher_AutomineOffHeadStopsAdvancing_RaisesChainStaleThenChainFreshWhenABlockArrives()
    {
        await fx.Node.RpcAsync("evm_setAutomine", false);
        var events = new EthereumChainEventSource(fx.RpcUrl, fx.Adjudicator, AnvilFixture.FastOptions());
        var head = await events.GetHeadAsync();
        var clock = new FakeTimeProvider(head.Head.Timestamp); // the client's clock, moved by the test
        using var key = PrivateKey.Create();
        var chain = await fx.ConnectAsync(fx.Keys[1]);
        await using var client = await StateChannelClient.CreateAsync(
            Options(), new PrivateKeySigner(key), new InMemoryChannelStore(), chain, events, clock);
        var seen = new List<ChannelEvent>();
        using var stop = new CancellationTokenSource();
        var reader = Collect(client, seen, stop.Token);
        var watcher = client.RunWatcherAsync(stop.Token);

        await WaitForAsync<ChainStale>(seen, () => clock.Advance(TimeSpan.FromSeconds(20)));
        Assert.Empty(Snapshot(seen).OfType<ChainFresh>());

        // A block arrives with the client's current time: the view is fresh again.
        await fx.Node.RpcAsync("evm_setNextBlockTimestamp", clock.GetUtcNow().ToUnixTimeSeconds());
        await fx.Node.RpcAsync("evm_mine");
        await WaitForAsync<ChainFresh>(seen, () => clock.Advance(TimeSpan.FromMilliseconds(20)));
        Assert.Single(Snapshot(seen).OfType<ChainStale>());

        await fx.Node.RpcAsync("evm_setAutomine", true);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);
        await reader;
    }

    [Fact]
    public async Task Watcher_NodeGoneForLongerThanTheThreshold_RaisesChainStale()
    {
        var node = await AnvilNode.StartAsync();
        await using (node)
        {
            var events = new EthereumChainEventSource(node.RpcUrl, fx.Adjudicator, AnvilFixture.FastOptions());
            var clock = new FakeTimeProvider((await events.GetHeadAsync()).Head.Timestamp);
            using var key = PrivateKey.Create();
            using var txKey = PrivateKey.Parse(node.PrivateKeys[1]);
            var chain = new EthereumAdjudicator(node.RpcUrl, new Eip712Domain(node.ChainId, fx.Adjudicator), txKey, AnvilFixture.FastOptions());
            await using var client = await StateChannelClient.CreateAsync(
                Options(), new PrivateKeySigner(key), new InMemoryChannelStore(), chain, events, clock);
            var seen = new List<ChannelEvent>();
            using var stop = new CancellationTokenSource();
            var reader = Collect(client, seen, stop.Token);
            var watcher = client.RunWatcherAsync(stop.Token);
            await WaitForAsync<ChainFresh>(seen, () => clock.Advance(TimeSpan.FromMilliseconds(20)), allowNone: true);

            node.Kill();
            await WaitForAsync<ChainStale>(seen, () => clock.Advance(TimeSpan.FromSeconds(10)));
            Assert.Contains("failing", Snapshot(seen).OfType<ChainStale>().Single().Reason, StringComparison.Ordinal);
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);
            await reader;
        }
    }

    private static async Task Collect(StateChannelClient client, List<ChannelEvent> seen, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var e in client.EventsAsync(cancellationToken))
            {
                lock (seen)
                {
                    seen.Add(e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static List<ChannelEvent> Snapshot(List<ChannelEvent> seen)
    {
        lock (seen)
        {
            return [.. seen];
        }
    }

    private static async Task WaitForAsync<T>(List<ChannelEvent> seen, Action tick, bool allowNone = false)
    {
        var until = DateTime.UtcNow + Limit;
        var polls = 0;
        while (!Snapshot(seen).OfType<T>().Any())
        {
            if (allowNone && ++polls > 20)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < until, $"no {typeof(T).Name} in time");
            tick();
            await Task.Delay(20);
        }
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using StateChannels.Testing;

namespace StateChannels.Extensions.DependencyInjection.Tests;

/// <summary>The hosted client in a generic host: created at start, its watcher refutes Mallory while the host runs.</summary>
public sealed class HostedClientTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _blockTime = new(DateTimeOffset.UtcNow);
    private readonly SimulatedChain _chain;
    private readonly PrivateKey _aliceKey = PrivateKey.Create();

    public HostedClientTests() =>
        _chain = new SimulatedChain(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")), _blockTime);

    private static StateChannelClientOptions Fast(StateChannelClientOptions o)
    {
        o.ChainPollInterval = TimeSpan.FromMilliseconds(5);
        o.MaxAcceptedFunding = new Amount(1_000_000);
        return o;
    }

    private IHost BuildHost(Action<StateChannelHostOptions>? hostOptions = null, Func<IChannelStore>? store = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddStateChannels(o => Fast(o))
            .UseSigner(_ => new PrivateKeySigner(_aliceKey))
            .UseStore(_ => store?.Invoke() ?? new InMemoryChannelStore())
            .UseAdjudicator(_ => _chain.For(_aliceKey.Address))
            .AddHostedClient(hostOptions);
        return builder.Build();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow + Limit;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in time");
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task StartAsync_Host_ClientExistsAndWatcherRefutesAStaleRegistration()
    {
        using var host = BuildHost();
        await host.StartAsync();
        var alice = await host.Services.GetRequiredService<IStateChannelClientProvider>().GetClientAsync().AsTask().WaitAsync(Limit);

        // Mallory, outside the host, opens a channel with the hosted Alice, pays her, then registers version 0.
        var malloryKey = PrivateKey.Create();
        var malloryStore = new InMemoryChannelStore();
        await using var mallory = await StateChannelClient.CreateAsync(
            Fast(new StateChannelClientOptions()), new PrivateKeySigner(malloryKey), malloryStore, _chain.For(malloryKey.Address));
        var pair = new InMemoryTransport(malloryKey.Address, alice.Address).Connect();
        using var stop = new CancellationTokenSource();
        var serveMallory = mallory.RunConnectionAsync(pair.First, stop.Token);
        var serveAlice = alice.RunConnectionAsync(pair.Second, stop.Token);
        var channel = await mallory.OpenChannelAsync(alice.Address, 1_000, 0).WaitAsync(Limit);
        await channel.PayAsync(10).WaitAsync(Limit);
        await WaitUntilAsync(() => Task.FromResult(alice.GetChannel(channel.Id).Latest?.State.Version == 1));
        var stale = await malloryStore.GetStateAsync(channel.Id, 0);
        await _chain.For(malloryKey.Address).RegisterAsync(channel.Params, stale!);

        // The hosted watcher registers Alice's version 1 over it.
        await WaitUntilAsync(async () => (await _chain.For(alice.Address).GetChannelAsync(channel.Params)).RegisteredVersion == 1);

        await stop.CancelAsync();
        await Task.WhenAll(serveMallory, serveAlice).WaitAsync(Limit);
        await host.StopAsync();
    }

    [Fact]
    public async Task StopAsync_Host_WatcherTaskEnds()
    {
        using var host = BuildHost();
        await host.StartAsync();
        var service = host.Services.GetServices<IHostedService>().OfType<StateChannelHostedService>().Single();
        Assert.NotNull(service.ExecuteTask);
        Assert.False(service.ExecuteTask!.IsCompleted, "the watcher ended by itself");

        await host.StopAsync();

        // Ended without a fault (Canceled when the host stops before the watcher's first await).
        Assert.True(service.ExecuteTask.IsCompleted && !service.ExecuteTask.IsFaulted, $"{service.ExecuteTask.Status} {service.ExecuteTask.Exception}");
    }

    [Fact]
    public async Task StartAsync_RunWatcherFalse_NoWatcherRuns()
    {
        using var host = BuildHost(o => o.RunWatcher = false);
        await host.StartAsync();
        var service = host.Services.GetServices<IHostedService>().OfType<StateChannelHostedService>().Single();

        // Without the watcher, the service's work ends at once (it would otherwise run until the host stops).
        await service.ExecuteTask!.WaitAsync(Limit);
        Assert.True(service.ExecuteTask.IsCompletedSuccessfully);
        await host.StopAsync();
    }

    [Fact]
    public async Task StartAsync_StoreFails_HostStartFailsWithTheStoresError()
    {
        using var host = BuildHost(store: () => throw new StateChannelException(ErrorCode.StorageFailure, "disk gone"));

        var e = await Assert.ThrowsAsync<StateChannelException>(() => host.StartAsync());

        Assert.Equal(ErrorCode.StorageFailure, e.Code);
    }
}

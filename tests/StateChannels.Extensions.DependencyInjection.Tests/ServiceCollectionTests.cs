using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StateChannels.Testing;

namespace StateChannels.Extensions.DependencyInjection.Tests;

/// <summary>AddStateChannels: options, ports, the one client, logger and meter wiring.</summary>
public sealed class ServiceCollectionTests
{
    private readonly SimulatedChain _chain = new(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
    private readonly PrivateKey _key = PrivateKey.Create();

    private StateChannelsBuilder AddWithPorts(IServiceCollection services, Action<StateChannelClientOptions>? configure = null) =>
        services.AddStateChannels(configure)
            .UseSigner(_ => new PrivateKeySigner(_key))
            .UseStore(_ => new InMemoryChannelStore())
            .UseAdjudicator(_ => _chain.For(_key.Address));

    [Fact]
    public async Task GetClientAsync_PortsFromBuilder_OneClientWithOurAddress()
    {
        var services = new ServiceCollection();
        AddWithPorts(services);
        await using var provider = services.BuildServiceProvider();
        var clients = provider.GetRequiredService<IStateChannelClientProvider>();

        var first = await clients.GetClientAsync();
        var second = await clients.GetClientAsync();

        Assert.Same(first, second);
        Assert.Equal(_key.Address, first.Address);
    }

    [Fact]
    public async Task GetClientAsync_ManyCallersAtOnce_AllGetTheSameClient()
    {
        var services = new ServiceCollection();
        var storesMade = 0;
        services.AddStateChannels()
            .UseSigner(_ => new PrivateKeySigner(_key))
            .UseStore(_ => { Interlocked.Increment(ref storesMade); return new InMemoryChannelStore(); })
            .UseAdjudicator(_ => _chain.For(_key.Address));
        await using var provider = services.BuildServiceProvider();
        var clients = provider.GetRequiredService<IStateChannelClientProvider>();

        var all = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => clients.GetClientAsync().AsTask())));

        Assert.All(all, c => Assert.Same(all[0], c));
        Assert.Equal(1, storesMade);
    }

    [Fact]
    public async Task GetClientAsync_PortsRegisteredInContainer_UsedWhenTheBuilderGivesNone()
    {
        var services = new ServiceCollection();
        var adjudicator = _chain.For(_key.Address);
        services.AddSingleton<IChannelSigner>(new PrivateKeySigner(_key));
        services.AddSingleton<IChannelStore>(new InMemoryChannelStore());
        services.AddSingleton<IAdjudicator>(adjudicator);
        services.AddStateChannels();
        await using var provider = services.BuildServiceProvider();

        var client = await provider.GetRequiredService<IStateChannelClientProvider>().GetClientAsync();

        Assert.Equal(_key.Address, client.Address);
    }

    [Fact]
    public async Task GetClientAsync_AsyncAdjudicatorFactory_AwaitedWithTheCallersToken()
    {
        var services = new ServiceCollection();
        using var cts = new CancellationTokenSource();
        CancellationToken seen = default;
        services.AddStateChannels()
            .UseSigner(_ => new PrivateKeySigner(_key))
            .UseStore(_ => new InMemoryChannelStore())
            .UseAdjudicator(async (_, ct) =>
            {
                seen = ct;
                await Task.Yield();
                return _chain.For(_key.Address);
            });
        await using var provider = services.BuildServiceProvider();

        await provider.GetRequiredService<IStateChannelClientProvider>().GetClientAsync(cts.Token);

        Assert.Equal(cts.Token, seen);
    }

    [Fact]
    public async Task GetClientAsync_NoStore_InvalidOperationNamingThePort()
    {
        var services = new ServiceCollection();
        services.AddStateChannels()
            .UseSigner(_ => new PrivateKeySigner(_key))
            .UseAdjudicator(_ => _chain.For(_key.Address));
        await using var provider = services.BuildServiceProvider();
        var clients = provider.GetRequiredService<IStateChannelClientProvider>();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => clients.GetClientAsync().AsTask());
        Assert.Contains("IChannelStore", e.Message, StringComparison.Ordinal);
        Assert.Contains("UseStore", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetClientAsync_InvalidOptions_ArgumentOutOfRangeAndNothingCached()
    {
        var services = new ServiceCollection();
        var storesMade = 0;
        services.AddStateChannels(o => o.UpdateTimeout = TimeSpan.Zero)
            .UseSigner(_ => new PrivateKeySigner(_key))
            .UseStore(_ => { Interlocked.Increment(ref storesMade); return new InMemoryChannelStore(); })
            .UseAdjudicator(_ => _chain.For(_key.Address));
        await using var provider = services.BuildServiceProvider();
        var clients = provider.GetRequiredService<IStateChannelClientProvider>();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => clients.GetClientAsync().AsTask());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => clients.GetClientAsync().AsTask());
        Assert.Equal(2, storesMade);
    }

    [Fact]
    public async Task GetClientAsync_CancelledBefore_ThrowsAndCreatesNothing()
    {
        var services = new ServiceCollection();
        var storesMade = 0;
        services.AddStateChannels()
            .UseSigner(_ => new PrivateKeySigner(_key))
            .UseStore(_ => { Interlocked.Increment(ref storesMade); return new InMemoryChannelStore(); })
            .UseAdjudicator(_ => _chain.For(_key.Address));
        await using var provider = services.BuildServiceProvider();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => provider.GetRequiredService<IStateChannelClientProvider>().GetClientAsync(new CancellationToken(true)).AsTask());
        Assert.Equal(0, storesMade);
    }

    [Fact]
    public async Task GetClientAsync_CancelledDuringAsyncFactory_ThrowsThenALaterCallSucceeds()
    {
        var services = new ServiceCollection();
        var calls = 0;
        services.AddStateChannels()
            .UseSigner(_ => new PrivateKeySigner(_key))
            .UseStore(_ => new InMemoryChannelStore())
            .UseAdjudicator(async (_, ct) =>
            {
                if (Interlocked.Increment(ref calls) == 1)
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }

                return _chain.For(_key.Address);
            });
        await using var provider = services.BuildServiceProvider();
        var clients = provider.GetRequiredService<IStateChannelClientProvider>();
        using var cts = new CancellationTokenSource();

        var waiting = clients.GetClientAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        var client = await clients.GetClientAsync();
        Assert.Equal(_key.Address, client.Address);
    }

    [Fact]
    public async Task AddStateChannels_Configure_OptionsReachTheContainerAndTheClient()
    {
        var services = new ServiceCollection();
        AddWithPorts(services, o => o.ChallengeDuration = TimeSpan.FromHours(7));
        await using var provider = services.BuildServiceProvider();

        Assert.Equal(TimeSpan.FromHours(7), provider.GetRequiredService<IOptions<StateChannelClientOptions>>().Value.ChallengeDuration);
    }

    [Fact]
    public async Task GetClientAsync_LoggerFactoryRegistered_ClientLogsThroughIt()
    {
        var services = new ServiceCollection();
        var factory = new RecordingLoggerFactory();
        services.AddSingleton<ILoggerFactory>(factory);
        AddWithPorts(services);
        await using var provider = services.BuildServiceProvider();

        await provider.GetRequiredService<IStateChannelClientProvider>().GetClientAsync();

        Assert.Contains(typeof(StateChannelClient).FullName!, factory.Categories);
    }

    [Fact]
    public async Task GetClientAsync_MeterFactoryRegistered_ClientMeterComesFromIt()
    {
        var services = new ServiceCollection();
        using var meters = new RecordingMeterFactory();
        services.AddSingleton<IMeterFactory>(meters);
        AddWithPorts(services);
        await using var provider = services.BuildServiceProvider();

        await provider.GetRequiredService<IStateChannelClientProvider>().GetClientAsync();

        Assert.Contains(StateChannelMetrics.MeterName, meters.Names);
    }

    [Fact]
    public async Task DisposeAsync_Container_DisposesTheStoreTheBuilderMade()
    {
        var services = new ServiceCollection();
        var store = new InMemoryChannelStore();
        services.AddStateChannels()
            .UseSigner(_ => new PrivateKeySigner(_key))
            .UseStore(_ => store)
            .UseAdjudicator(_ => _chain.For(_key.Address));
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IStateChannelClientProvider>().GetClientAsync();
        Assert.Null(await store.GetCursorAsync("probe"));

        await provider.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetCursorAsync("probe").AsTask());
    }

    private sealed class RecordingLoggerFactory : ILoggerFactory
    {
        public ConcurrentBag<string> Categories { get; } = [];

        public ILogger CreateLogger(string categoryName)
        {
            Categories.Add(categoryName);
            return NullLogger.Instance;
        }

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }

    private sealed class RecordingMeterFactory : IMeterFactory
    {
        private readonly ConcurrentBag<Meter> _meters = [];

        public ConcurrentBag<string> Names { get; } = [];

        public Meter Create(MeterOptions options)
        {
            Names.Add(options.Name);
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var m in _meters)
            {
                m.Dispose();
            }
        }
    }
}

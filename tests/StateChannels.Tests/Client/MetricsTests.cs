using Microsoft.Extensions.Time.Testing;
using StateChannels.Testing;
using StateChannels.Tests.Support;
using M = StateChannels.StateChannelMetrics;

namespace StateChannels.Tests.Client;

/// <summary>The client's System.Diagnostics.Metrics instruments, read with a MeterListener after simulated-chain scenarios.</summary>
public sealed class MetricsTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _blockTime = new(DateTimeOffset.UtcNow);
    private readonly MetricsRecorder _metrics = new();
    private readonly SimulatedChain _chain;
    private Party _alice = null!;
    private Party _bob = null!;

    public MetricsTests() =>
        _chain = new SimulatedChain(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")), _blockTime);

    public async Task InitializeAsync()
    {
        _alice = await Party.CreateAsync("alice", _chain, options: Options(), clientTime: TimeProvider.System);
        _bob = await Party.CreateAsync("bob", _chain, options: Options(), clientTime: TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await _alice.DisposeAsync();
        await _bob.DisposeAsync();
        _metrics.Dispose();
    }

    private StateChannelClientOptions Options()
    {
        var options = Party.FastOptions();
        options.MeterFactory = _metrics;
        return options;
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

    private async Task<(Channel Alice, Channel Bob, InMemoryTransport Link)> OpenAsync()
    {
        var link = Party.Connect(_alice, _bob);
        var a = await _alice.Client.OpenChannelAsync(_bob.Address, 1_000, 1_000).WaitAsync(Limit);
        var b = _bob.Client.GetChannel(a.Id);
        await WaitUntilAsync(() => b.Phase == ChannelPhase.Active);
        return (a, b, link);
    }

    [Fact]
    public async Task Metrics_PaymentsBothWaysThenClose_CountsAndAmountsMatchTheScenario()
    {
        var (a, b, _) = await OpenAsync();
        for (var i = 0; i < 10; i++)
        {
            await a.PayAsync(3).WaitAsync(Limit);
        }

        for (var i = 0; i < 5; i++)
        {
            await b.PayAsync(2).WaitAsync(Limit);
        }

        await WaitUntilAsync(() => a.Latest!.State.Version == 15);
        await a.CloseAsync().WaitAsync(Limit);
        await WaitUntilAsync(() => b.Latest!.State.IsFinal);

        var alice = _alice.Address;
        Assert.Equal(10, _metrics.Sum(alice, M.PaymentsSent));
        Assert.Equal(30, _metrics.Sum(alice, M.PaymentsSentAmount));
        Assert.Equal(10, _metrics.Count(alice, M.PaymentDuration));
        Assert.Equal(5, _metrics.Sum(alice, M.PaymentsReceived));
        Assert.Equal(10, _metrics.Sum(alice, M.PaymentsReceivedAmount));
        Assert.Equal(1, _metrics.Sum(alice, M.ChannelsOpened));
        Assert.Equal(1, _metrics.Sum(alice, M.ChannelsClosed));
        Assert.Equal(1, _metrics.Sum(alice, M.Connections));
        Assert.Equal(1, _metrics.Sum(alice, M.ActiveConnections));

        // Version 0, 15 payment states, the final state: one signature each.
        Assert.Equal(17, _metrics.Sum(alice, M.StatesSigned));

        var bob = _bob.Address;
        Assert.Equal(5, _metrics.Sum(bob, M.PaymentsSent));
        Assert.Equal(10, _metrics.Sum(bob, M.PaymentsSentAmount));
        Assert.Equal(10, _metrics.Sum(bob, M.PaymentsReceived));
        Assert.Equal(30, _metrics.Sum(bob, M.PaymentsReceivedAmount));
        Assert.Equal(1, _metrics.Sum(bob, M.ChannelsOpened));
        Assert.Equal(0, _metrics.Sum(bob, M.DisputesSeen));
    }

    [Fact]
    public async Task Metrics_Reconnect_CountsConnectionsAndOneReestablishPerChannel()
    {
        var (a, b, link) = await OpenAsync();
        await a.PayAsync(1).WaitAsync(Limit);
        await _alice.DisconnectAllAsync();
        await _bob.DisconnectAllAsync();
        Assert.Equal(0, _metrics.Sum(_alice.Address, M.ActiveConnections));

        Party.Reconnect(link, _alice, _bob);
        await a.PayAsync(1).WaitAsync(Limit);
        await WaitUntilAsync(() => b.Latest!.State.Version == 2);

        Assert.Equal(2, _metrics.Sum(_alice.Address, M.Connections));
        Assert.Equal(1, _metrics.Sum(_alice.Address, M.ActiveConnections));
        Assert.Equal(1, _metrics.Sum(_alice.Address, M.Reestablishes));
        Assert.Equal(1, _metrics.Sum(_bob.Address, M.Reestablishes));
    }

    [Fact]
    public async Task Metrics_BobRegistersStaleState_AliceCountsDisputeSeenAndRefuted()
    {
        var (a, b, _) = await OpenAsync();
        await b.PayAsync(5).WaitAsync(Limit);
        await WaitUntilAsync(() => a.Latest!.State.Version == 1);
        var v0 = await _bob.Store.GetStateAsync(a.Id, 0);
        await _chain.For(_bob.Address).RegisterAsync(a.Params, v0!);

        await _alice.Client.WatchOnceAsync(CancellationToken.None);

        Assert.Equal(1, _metrics.Sum(_alice.Address, M.DisputesSeen));
        Assert.Equal(1, _metrics.Sum(_alice.Address, M.DisputesRefuted));
        Assert.Equal(0, _metrics.Sum(_alice.Address, M.ChannelsClosed));
    }

    [Fact]
    public void Instruments_PublishedOnCreation_NamesUnitsAndMeterTags()
    {
        Assert.Equal("ms", _metrics.Instruments[M.PaymentDuration].Unit);
        Assert.Equal(M.MeterName, _metrics.Instruments[M.PaymentsSent].Meter.Name);
        Assert.Contains(
            _metrics.Instruments[M.PaymentsSent].Meter.Tags!,
            t => t.Key == M.AssetTag && (string?)t.Value == EthAddress.Zero.ToString());
        Assert.Equal(13, _metrics.Instruments.Count);
    }
}

/// <summary>The hot path's cost: recording a payment allocates nothing, listened to or not.</summary>
public sealed class ClientMetricsAllocationTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PaymentSent_Repeated_AllocatesNothing(bool listened)
    {
        using var meters = new MetricsRecorderFactory();
        using var metrics = new ClientMetrics(meters, EthAddress.Zero, EthAddress.Zero);
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        long count = 0;
        double sum = 0;
        if (listened)
        {
            listener.InstrumentPublished = (i, l) =>
            {
                if (ReferenceEquals(i.Meter.Scope, meters))
                {
                    l.EnableMeasurementEvents(i);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, v, _, _) => Interlocked.Add(ref count, v));
            listener.SetMeasurementEventCallback<double>((_, v, _, _) => sum += v);
            listener.Start();
        }

        var amount = new Amount(1_000_000_000);
        var elapsed = TimeSpan.FromMilliseconds(1.5);
        for (var i = 0; i < 100; i++)
        {
            metrics.PaymentSent(amount, elapsed); // warm up
            metrics.PaymentReceived(amount);
            metrics.StateSigned();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            metrics.PaymentSent(amount, elapsed);
            metrics.PaymentReceived(amount);
            metrics.StateSigned();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(listened ? 30_300 : 0, Interlocked.Read(ref count));
    }

    private sealed class MetricsRecorderFactory : System.Diagnostics.Metrics.IMeterFactory
    {
        private readonly List<System.Diagnostics.Metrics.Meter> _meters = [];

        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options)
        {
            options.Scope = this;
            var meter = new System.Diagnostics.Metrics.Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}

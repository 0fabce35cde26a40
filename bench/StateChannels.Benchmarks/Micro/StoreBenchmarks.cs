using BenchmarkDotNet.Attributes;
using StateChannels.Storage.LiteDb;

namespace StateChannels.Benchmarks.Micro;

/// <summary>
/// <see cref="LiteDbChannelStore"/> durable writes of what the proposer stores per update (record
/// plus the fully signed state): one write awaited alone, and a burst of
/// <see cref="BurstSize"/> concurrent writers on as many channels, which the store's writer
/// thread group-commits. Compare with <see cref="DiskFloorBenchmarks"/> in the same run.
/// </summary>
public class StoreBenchmarks
{
    public const int BurstSize = 64;

    private string _dir = "";
    private LiteDbChannelStore _store = null!;
    private ChannelParams[] _params = [];
    private ChannelId[] _ids = [];
    private ulong _version;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Scratch.CreateDirectory("store");
        _store = LiteDbChannelStore.Open(Path.Combine(_dir, "bench.db"));
        _params = [.. Enumerable.Range(0, BurstSize).Select(Fixtures.ParamsFor)];
        _ids = [.. _params.Select(p => Eip712.ComputeChannelId(Fixtures.Domain, p))];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Scratch.Delete(_dir);
    }

    [Benchmark]
    public ValueTask SingleWrite()
    {
        ulong version = ++_version;
        return _store.WriteAsync(StoreRecords.Update(_ids[0], _params[0], version));
    }

    /// <summary>Per write: BenchmarkDotNet divides the burst's time by <see cref="BurstSize"/>.</summary>
    [Benchmark(OperationsPerInvoke = BurstSize)]
    public Task Burst64()
    {
        ulong version = ++_version;
        var writes = new Task[BurstSize];
        for (int i = 0; i < BurstSize; i++)
        {
            writes[i] = _store.WriteAsync(StoreRecords.Update(_ids[i], _params[i], version)).AsTask();
        }

        return Task.WhenAll(writes);
    }
}

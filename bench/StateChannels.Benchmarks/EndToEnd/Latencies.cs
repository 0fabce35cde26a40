using System.Diagnostics;

namespace StateChannels.Benchmarks.EndToEnd;

/// <summary>Payment latencies (Stopwatch ticks), thread-safe; percentiles in milliseconds.</summary>
internal sealed class Latencies
{
    private readonly Lock _lock = new();
    private readonly List<long> _ticks = new(1 << 16);

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _ticks.Count;
            }
        }
    }

    public void Add(long startTimestamp)
    {
        var elapsed = Stopwatch.GetTimestamp() - startTimestamp;
        lock (_lock)
        {
            _ticks.Add(elapsed);
        }
    }

    /// <summary>The p-th percentile (0..100) in ms, nearest rank; NaN when empty.</summary>
    public double Percentile(double p)
    {
        long[] sorted;
        lock (_lock)
        {
            sorted = [.. _ticks];
        }

        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        Array.Sort(sorted);
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)] * 1000.0 / Stopwatch.Frequency;
    }
}

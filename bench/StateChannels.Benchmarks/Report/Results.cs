using BenchmarkDotNet.Reports;

namespace StateChannels.Benchmarks.Report;

/// <summary>Every successful benchmark of a run, by <c>Class.Method</c>.</summary>
internal sealed class Results
{
    private readonly Dictionary<string, Measurement> _byName = new(StringComparer.Ordinal);

    public IEnumerable<Measurement> All => _byName.Values.OrderBy(m => m.Name, StringComparer.Ordinal);

    public static Results From(IEnumerable<Summary> summaries)
    {
        var results = new Results();
        foreach (BenchmarkReport report in summaries.SelectMany(s => s.Reports))
        {
            if (!report.Success || report.ResultStatistics is not { } stats)
            {
                continue;
            }

            string name = $"{report.BenchmarkCase.Descriptor.Type.Name}.{report.BenchmarkCase.Descriptor.WorkloadMethod.Name}";
            results._byName[name] = new Measurement(
                name,
                stats.Median / 1_000,
                stats.Mean / 1_000,
                stats.StandardDeviation / 1_000,
                report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase));
        }

        return results;
    }

    /// <summary>The median in µs of <c>Class.Method</c>, or null if it did not run or failed.</summary>
    public double? Us(string name) => _byName.TryGetValue(name, out Measurement? m) ? m.MedianUs : null;

    public Measurement? Get(string name) => _byName.GetValueOrDefault(name);
}

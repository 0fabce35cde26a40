namespace StateChannels.Benchmarks.Report;

/// <summary>One benchmark's result, in microseconds per operation.</summary>
internal sealed record Measurement(string Name, double MedianUs, double MeanUs, double StdDevUs, long? AllocatedBytes);

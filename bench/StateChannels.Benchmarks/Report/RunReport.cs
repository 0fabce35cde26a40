namespace StateChannels.Benchmarks.Report;

/// <summary>Everything one run produced, with the figures both outputs derive from it.</summary>
internal sealed record RunReport(
    RunOptions Options,
    DateTimeOffset GeneratedAt,
    MachineInfo Machine,
    string NativeStatus,
    Results Results,
    Floor? Floor,
    EndToEnd EndToEnd,
    IReadOnlyDictionary<string, long> Gas)
{
    public const string QuickCommand = "dotnet run -c Release --project bench/StateChannels.Benchmarks -- --quick";

    public const string FullCommand = "dotnet run -c Release --project bench/StateChannels.Benchmarks -- --full";

    public string Command => Options.Quick ? QuickCommand : FullCommand;

    public double? Us(string name) => Results.Us(name);

    /// <summary><paramref name="numerator"/> / <paramref name="denominator"/>, or null if either is missing.</summary>
    public static double? Ratio(double? numerator, double? denominator) =>
        numerator is { } n && denominator is { } d && d > 0 ? n / d : null;

    public static Floor? ComputeFloor(Results results)
    {
        if (results.Us(Names.SignManaged) is not { } sign
            || results.Us(Names.RecoverManaged) is not { } recover
            || results.Us(Names.Fsync) is not { } fsync
            || results.Us(Names.LoopbackRtt) is not { } rtt)
        {
            return null;
        }

        return new Floor(sign, recover, results.Us(Names.SignNative), results.Us(Names.RecoverNative), fsync, results.Us(Names.AppendFdatasync), rtt);
    }
}

namespace StateChannels.Benchmarks;

/// <summary>
/// Where the disk benchmarks write: <c>STATECHANNELS_BENCH_DIR</c> if set, else the system temp
/// directory. It must be a real disk (not tmpfs) for fsync figures to mean anything; the report
/// names its file system.
/// </summary>
internal static class Scratch
{
    public const string EnvironmentVariable = "STATECHANNELS_BENCH_DIR";

    public static string Root =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } dir ? Path.GetFullPath(dir) : Path.GetTempPath();

    /// <summary>Creates a fresh directory under <see cref="Root"/> for one benchmark class.</summary>
    public static string CreateDirectory(string name)
    {
        string path = Path.Combine(Root, $"statechannels-bench-{name}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover scratch directory in temp is harmless.
        }
    }
}

namespace StateChannels.Benchmarks.EndToEnd;

/// <summary>Sizes and durations of the end-to-end stage; quick mode keeps the sizes and shortens the runs.</summary>
internal sealed record E2eSettings(string RepositoryRoot, bool Quick)
{
    public TimeSpan Duration => TimeSpan.FromSeconds(Quick ? 5 : 20);

    public TimeSpan Warmup => TimeSpan.FromSeconds(Quick ? 1.5 : 5);

    public int ConcurrentCallers { get; init; } = 1000;

    public int HubChannels { get; init; } = 1000;

    public int HubCallers { get; init; } = 1000;

    public double HubOfferedPerSecond { get; init; } = 5000;

    public int OpenParallelism { get; init; } = 100;

    /// <summary>Players that connect to the hub and stay idle, for the memory per idle connection.</summary>
    public int IdleConnections { get; init; } = 500;

    public int ReopenChannels { get; init; } = 10_000;

    public IReadOnlyList<string> Backends { get; init; } = ["managed", "native"];

    /// <summary>
    /// Whether the hub process runs the server GC (the default, as a game server or ASP.NET Core
    /// host does: <c>DOTNET_gcServer=1</c>) or the workstation GC. The driver keeps the workstation GC.
    /// </summary>
    public bool HubServerGc { get; init; } = true;

    public string Describe() =>
        $"{(Quick ? "quick" : "full")}: {Duration.TotalSeconds:F0} s per workload after {Warmup.TotalSeconds:F1} s warm-up; " +
        $"concurrent {ConcurrentCallers} callers; hub {HubChannels} channels opened {OpenParallelism} at a time, {HubCallers} callers closed loop, " +
        $"{HubOfferedPerSecond:F0}/s offered open loop; {IdleConnections} idle player connections; reopen {ReopenChannels} channels; hub GC {(HubServerGc ? "server" : "workstation")}; backends {string.Join(", ", Backends)}";
}

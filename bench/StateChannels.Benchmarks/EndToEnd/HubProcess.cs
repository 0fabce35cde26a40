using System.Diagnostics;
using System.Globalization;

namespace StateChannels.Benchmarks.EndToEnd;

/// <summary>
/// The second OS process of the harness: the hub. Started by the driver as
/// <c>StateChannels.Benchmarks --e2e-hub --rpc URL --adjudicator ADDR --db FILE --peer ADDR --secp managed|native</c>
/// with its keys in the environment (<see cref="ChannelKeyVariable"/>, <see cref="TxKeyVariable"/>).
/// It accepts every channel the driver opens and answers its payments. Protocol on stdio, one line each:
/// it prints <c>ready PORT ADDRESS GC</c> (GC: <c>server</c> or <c>workstation</c>); it answers <c>cpu</c> with <c>cpu CPU_MS GC_PAUSE_MS SYNCS SYNC_MS ALLOCATED_BYTES GEN0 GEN1 GEN2</c> (<see cref="ProcessCounters"/>), <c>mem</c> with <c>mem MANAGED_BYTES WORKING_SET_BYTES CHANNELS ACTIVE</c>, <c>conns</c> with <c>conns CONNECTIONS</c>
/// (after a full blocking GC), <c>memdetail</c> with <c>memdetail KEY=VALUE ...</c> (<see cref="Memory.Detail"/>, no GC)
/// and exits on <c>exit</c> or end of input.
/// </summary>
internal static class HubProcess
{
    public const string Flag = "--e2e-hub";
    public const string ChannelKeyVariable = "STATECHANNELS_E2E_CHANNEL_KEY";
    public const string TxKeyVariable = "STATECHANNELS_E2E_TX_KEY";

    public static async Task<int> RunAsync(string[] args)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            map[args[i].TrimStart('-')] = args[i + 1];
        }

        var secp = Party.Backend(map["secp"]);
        await using var party = await Party.StartAsync(
            new Uri(map["rpc"]),
            EthAddress.Parse(map["adjudicator"]),
            Environment.GetEnvironmentVariable(ChannelKeyVariable)!,
            Environment.GetEnvironmentVariable(TxKeyVariable)!,
            map["db"],
            secp,
            CancellationToken.None).ConfigureAwait(false);
        // A hub serves any player that authenticates (the idle-connection figure dials it with fresh keys).
        var port = party.Listen(null);
        Console.WriteLine($"ready {port} {party.Client.Address} {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}");
        while (await Console.In.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            switch (line.Trim())
            {
                case "mem":
                    var (managed, workingSet) = Memory.Measure();
                    var channels = party.Client.Channels;
                    Console.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"mem {managed} {workingSet} {channels.Count} {channels.Count(c => c.Phase == ChannelPhase.Active)}"));
                    break;
                case "conns":
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"conns {party.Connections}"));
                    break;
                case "memdetail":
                    Console.WriteLine("memdetail " + Memory.Detail());
                    break;
                case "count":
                    var all = party.Client.Channels;
                    Console.WriteLine(string.Create(
                        CultureInfo.InvariantCulture, $"count {all.Count} {all.Count(c => c.Phase == ChannelPhase.Active)}"));
                    break;
                case "cpu":
                    var c = ProcessCounters.Read(party.Store);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cpu {c.CpuMs:F3} {c.GcPauseMs:F3} {c.Syncs} {c.SyncMs:F3} {c.AllocatedBytes} {c.Gen0} {c.Gen1} {c.Gen2}"));
                    break;
                case "exit":
                    return 0;
                default:
                    Console.WriteLine("error unknown command");
                    break;
            }
        }

        return 0;
    }
}

/// <summary>
/// A process's running totals: CPU time, time the GC paused it, and its store's syncs and the
/// time they took (writes wait during a sync, so these and the GC pauses are what a latency
/// tail is made of).
/// </summary>
internal readonly record struct ProcessCounters(double CpuMs, double GcPauseMs, long Syncs, double SyncMs, long AllocatedBytes, int Gen0, int Gen1, int Gen2)
{
    public static ProcessCounters Read(StateChannels.Storage.LiteDb.LiteDbChannelStore store)
    {
        using var self = Process.GetCurrentProcess();
        return new ProcessCounters(
            self.TotalProcessorTime.TotalMilliseconds, GC.GetTotalPauseDuration().TotalMilliseconds, store.Syncs, store.SyncTime.Total.TotalMilliseconds,
            GC.GetTotalAllocatedBytes(precise: false), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
    }

    public static ProcessCounters operator -(ProcessCounters a, ProcessCounters b) =>
        new(a.CpuMs - b.CpuMs, a.GcPauseMs - b.GcPauseMs, a.Syncs - b.Syncs, a.SyncMs - b.SyncMs,
            a.AllocatedBytes - b.AllocatedBytes, a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2);
}

/// <summary>Managed heap after a full compacting GC, and the process's working set.</summary>
internal static class Memory
{
    public static (long Managed, long WorkingSet) Measure()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        // Aggressive: the GC also gives back the memory it keeps committed for later allocations,
        // so the working set counts what the process holds, not the GC's headroom of the moment.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

        var managed = GC.GetTotalMemory(forceFullCollection: true);
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return (managed, self.WorkingSet64);
    }

    /// <summary>
    /// Where the working set goes, for the log (no GC; call it after <see cref="Measure"/>): the GC's
    /// committed memory, threads, JIT-compiled methods, and on Linux the resident anonymous, file-backed
    /// and shared pages. .NET maps JIT code twice (W^X: a writable and an executable view of the same
    /// shared pages), so the shared figure counts that code twice, and so does the working set.
    /// </summary>
    public static string Detail()
    {
        var gc = GC.GetGCMemoryInfo(GCKind.Any);
        using var self = Process.GetCurrentProcess();
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"gc_committed_kib={gc.TotalCommittedBytes / 1024} gc_fragmented_kib={gc.FragmentedBytes / 1024} threads={self.Threads.Count} jit_methods={System.Runtime.JitInfo.GetCompiledMethodCount()}");
        if (File.Exists("/proc/self/status"))
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("RssAnon:", StringComparison.Ordinal) || line.StartsWith("RssFile:", StringComparison.Ordinal)
                    || line.StartsWith("RssShmem:", StringComparison.Ordinal))
                {
                    var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                    text += string.Create(CultureInfo.InvariantCulture, $" {parts[0].TrimEnd(':').ToLowerInvariant()}_kib={parts[1]}");
                }
            }
        }

        return text;
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;

namespace StateChannels.Samples.PaymentDemo;

/// <summary>
/// Every wallet process the demo starts, so that all of them die with the demo: on a normal exit,
/// on an error, on Ctrl-C and on SIGTERM. (anvil dies with its <see cref="LocalAnvil"/>, which
/// <see cref="DemoWorld"/> disposes on all of these, and which also kills it when the demo exits.)
/// </summary>
internal static class ChildProcesses
{
    private static readonly ConcurrentDictionary<int, Process> Running = new();

    static ChildProcesses() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    /// <summary>Starts <paramref name="start"/> and remembers the process.</summary>
    public static Process Start(ProcessStartInfo start)
    {
        var process = Process.Start(start) ?? throw new DemoFailure($"could not start {start.FileName}");
        Running[process.Id] = process;
        return process;
    }

    /// <summary>Kills the process (and its children) if it still runs, and forgets it.</summary>
    public static void Kill(Process process)
    {
        Running.TryRemove(process.Id, out _);
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // already gone, or not ours to kill any more
        }
    }

    public static void KillAll()
    {
        foreach (var process in Running.Values)
        {
            Kill(process);
        }
    }
}

using System.Diagnostics;
using System.Globalization;

namespace StateChannels.Ethereum.Internal;

/// <summary>
/// Test hook for the process-kill tests (THREATS C6, C7): named points of the transaction manager at
/// which the process dies at once, as under <c>kill -9</c>. Armed by the same environment variable
/// as the core's crash points, <c>STATECHANNELS_CRASH_AT</c> = <c>name</c> or <c>name:n</c> (the n-th hit);
/// inert otherwise.
/// </summary>
internal static class CrashPoint
{
    /// <summary>The transaction is signed and durable in the journal, not yet broadcast.</summary>
    public const string Journaled = "tx.journaled";

    /// <summary>The node accepted the transaction; its receipt is not yet awaited.</summary>
    public const string Broadcast = "tx.broadcast";

    private static readonly string? Target = Parse(Environment.GetEnvironmentVariable("STATECHANNELS_CRASH_AT"), out TargetHit);
    private static readonly long TargetHit;
    private static long _hits;

    /// <summary>Kills the process if <paramref name="name"/> is the armed point and this is its armed hit.</summary>
    public static void Hit(string name)
    {
        if (Target is null || !string.Equals(name, Target, StringComparison.Ordinal) || Interlocked.Increment(ref _hits) != TargetHit)
        {
            return;
        }

        Console.Error.WriteLine($"STATECHANNELS_CRASH_AT: killing the process at {name} (hit {TargetHit})");
        using (var self = Process.GetCurrentProcess())
        {
            self.Kill(); // SIGKILL: no finally blocks, no flushes, no disposal.
        }

        Environment.FailFast($"STATECHANNELS_CRASH_AT: {name}");
    }

    private static string? Parse(string? value, out long hit)
    {
        hit = 1;
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var colon = value.LastIndexOf(':');
        if (colon > 0 && long.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1)
        {
            hit = n;
            return value[..colon].Trim();
        }

        return value.Trim();
    }
}

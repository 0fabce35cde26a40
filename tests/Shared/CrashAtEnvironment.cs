using System.Diagnostics;
using System.Globalization;
using StateChannels.Protocol;

namespace StateChannels.TestHosts;

/// <summary>
/// Arms one crash point of the library's fault-injection seam (<see cref="CrashPoints.OnHit"/>) from
/// the environment variable <see cref="Variable"/>: <c>name</c> or <c>name:n</c> (die at its n-th hit,
/// 1-based; default 1). At that hit the process kills itself with SIGKILL: no finally blocks, no
/// flushes, no disposal. Compiled into the test hosts only; the shipped library reads no variable.
/// </summary>
internal static class CrashAtEnvironment
{
    public const string Variable = "STATECHANNELS_CRASH_AT";

    public static void Arm()
    {
        var value = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(value))
        {
            return;
        }

        var target = value.Trim();
        long at = 1;
        var colon = value.LastIndexOf(':');
        if (colon > 0 && long.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1)
        {
            at = n;
            target = value[..colon].Trim();
        }

        long hits = 0;
        CrashPoints.OnHit = name =>
        {
            if (!string.Equals(name, target, StringComparison.Ordinal) || Interlocked.Increment(ref hits) != at)
            {
                return;
            }

            Console.Error.WriteLine($"{Variable}: killing the process at {name} (hit {at})");
            using (var self = Process.GetCurrentProcess())
            {
                self.Kill();
            }

            Environment.FailFast($"{Variable}: {name}");
        };
    }
}

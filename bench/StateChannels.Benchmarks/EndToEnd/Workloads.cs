using System.Diagnostics;

namespace StateChannels.Benchmarks.EndToEnd;

/// <summary>What one workload measured: payments acknowledged (durable on the payer's side), over how long, and their latencies.</summary>
internal sealed record WorkloadResult(long Payments, double Seconds, double P50Ms, double P99Ms, long Failures, double OfferedPerS = 0)
{
    public double PerSecond => Payments / Seconds;

    public override string ToString() =>
        $"{Payments} payments in {Seconds:F2} s = {PerSecond:F0}/s, p50 {P50Ms:F2} ms, p99 {P99Ms:F2} ms, {Failures} failed";
}

/// <summary>The payment workloads of the harness. Every payment is 1 wei and counts once <c>PayAsync</c> returned.</summary>
internal static class Workloads
{
    /// <summary>One caller: each payment awaited before the next.</summary>
    public static async Task<WorkloadResult> SequentialAsync(Channel channel, TimeSpan duration)
    {
        var latencies = new Latencies();
        var clock = Stopwatch.StartNew();
        long done = 0;
        while (clock.Elapsed < duration)
        {
            var t = Stopwatch.GetTimestamp();
            await channel.PayAsync(1UL).ConfigureAwait(false);
            latencies.Add(t);
            done++;
        }

        return new WorkloadResult(done, clock.Elapsed.TotalSeconds, latencies.Percentile(50), latencies.Percentile(99), 0);
    }

    /// <summary><paramref name="callers"/> callers at once, each paying in a loop on a channel from <paramref name="channels"/> (random per payment).</summary>
    public static async Task<WorkloadResult> ClosedLoopAsync(IReadOnlyList<Channel> channels, int callers, TimeSpan duration)
    {
        var latencies = new Latencies();
        long done = 0, failed = 0;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, callers).Select(w => Task.Run(async () =>
        {
            var rng = new Random(w);
            while (clock.Elapsed < duration)
            {
                var channel = channels[channels.Count == 1 ? 0 : rng.Next(channels.Count)];
                var t = Stopwatch.GetTimestamp();
                try
                {
                    await channel.PayAsync(1UL).ConfigureAwait(false);
                    latencies.Add(t);
                    Interlocked.Increment(ref done);
                }
                catch (StateChannelException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        return new WorkloadResult(done, clock.Elapsed.TotalSeconds, latencies.Percentile(50), latencies.Percentile(99), failed);
    }

    /// <summary>
    /// Open loop: payments offered at <paramref name="perSecond"/> on random channels whether or not
    /// earlier ones have completed (as players arriving at a game server), so a slow system shows
    /// as growing latency instead of a politely lower rate.
    /// </summary>
    public static async Task<WorkloadResult> OpenLoopAsync(IReadOnlyList<Channel> channels, double perSecond, TimeSpan duration)
    {
        var latencies = new Latencies();
        long done = 0, failed = 0, issued = 0;
        var pending = new List<Task>();
        var rng = new Random(7);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            var due = (long)(clock.Elapsed.TotalSeconds * perSecond);
            for (; issued < due; issued++)
            {
                var channel = channels[rng.Next(channels.Count)];
                var t = Stopwatch.GetTimestamp();
                pending.Add(PayAsync(channel, t));
            }

            await Task.Delay(1).ConfigureAwait(false);
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
        return new WorkloadResult(done, clock.Elapsed.TotalSeconds, latencies.Percentile(50), latencies.Percentile(99), failed, perSecond);

        async Task PayAsync(Channel channel, long t)
        {
            try
            {
                await channel.PayAsync(1UL).ConfigureAwait(false);
                latencies.Add(t);
                Interlocked.Increment(ref done);
            }
            catch (StateChannelException)
            {
                Interlocked.Increment(ref failed);
            }
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using StateChannels.Integration.Tests.Support;

namespace StateChannels.Integration.Tests;

/// <summary>
/// Randomized kill -9 loop (THREATS C8, after LDK's chanmon_consistency restarts): both parties pay
/// each other without pause while one of them, or both at once, is killed at a random moment or at a
/// random crash point, then restarted from its LiteDB file. After every kill the dead party's file is
/// audited (no two signed states at one version, sign-once, no rollback, every payment that run
/// acknowledged is in it); at the end, both files and every acknowledgement of every run.
/// STATECHANNELS_KILL_LOOP=n runs n kills instead of the CI count; STATECHANNELS_KILL_SEED=s replays a run.
/// </summary>
[Collection(ChainCollection.Name)]
public sealed class KillLoopTests(ChainFixture chain, ITestOutputHelper log)
{
    private const int CiKills = 200;
    private static readonly Amount Funding = Amount.Parse("1000000000000000000");

    private static readonly string[] ProtocolPoints =
    [
        "responder.intent-durable",
        "responder.accept-sent",
        "proposer.accept-received",
        "proposer.stored",
        "responder.confirm-received",
        "proposer.lost-tie",
    ];

    [Fact]
    public async Task KillLoop_RandomKillsDuringPayments_InvariantsHoldAndChannelKeepsWorking()
    {
        var kills = int.TryParse(Environment.GetEnvironmentVariable("STATECHANNELS_KILL_LOOP"), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : CiKills;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("STATECHANNELS_KILL_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        log.WriteLine($"kill loop: {kills} kills, seed {seed} (STATECHANNELS_KILL_SEED={seed} replays the choices)");
        var rng = new Random(seed);
        var clock = Stopwatch.StartNew();

        await using var duo = Duo.Create(chain, log);
        duo.Start(0);
        duo.Start(1);
        await duo.OpenAsync(Funding, Funding);
        for (var party = 0; party < 2; party++)
        {
            await duo[party].CommandAsync($"pay-forever 1 1000 {1 + rng.Next(6)} {rng.Next()}", Duo.CommandTimeout);
        }

        var byCrashPoint = 0;
        var nextCheckpoint = 20;
        var waited = new Stopwatch[] { new(), new(), new() }; // armed waits, random delays, reaping + audit
        var doubles = 0;
        while (duo.Kills < kills)
        {
            try
            {
                // Who dies: one party, or (one time in ten) both at the same instant.
                var victims = rng.Next(10) == 0 ? new[] { 0, 1 } : [rng.Next(2)];
                doubles += victims.Length - 1;
                if (victims.Length == 1 && duo.ArmedWith(victims[0]) is not null)
                {
                    // Armed at a crash point: give it time to get there (it may not: then kill -9).
                    waited[0].Start();
                    await duo[victims[0]].ExitsWithinAsync(TimeSpan.FromSeconds(3));
                    waited[0].Stop();
                }
                else
                {
                    // A random moment: from still starting up to well into the payment workload.
                    waited[1].Start();
                    await Task.Delay(rng.Next(50, 700));
                    waited[1].Stop();
                }

                waited[2].Start();
                foreach (var victim in victims)
                {
                    byCrashPoint += await duo.KillOrReapAsync(victim, incremental: true) ? 1 : 0;
                }

                waited[2].Stop();

                if (duo.Kills >= nextCheckpoint)
                {
                    // Liveness every 20 kills: both sides must still get payments through.
                    nextCheckpoint += 20;
                    await CheckpointAsync(duo, victims, rng);
                    continue;
                }

                foreach (var victim in victims)
                {
                    // Restart from the file; two times in five armed at a random protocol point.
                    var armed = rng.Next(5) < 2 ? $"{ProtocolPoints[rng.Next(ProtocolPoints.Length)]}:{1 + rng.Next(8)}" : null;
                    await StartWorkingAsync(duo, victim, rng, armed);
                }
            }
            catch (Exception) when (Log(duo, seed, clock))
            {
                throw;
            }
        }

        // Both back up, unarmed: the channel keeps working (each side gets 20 more payments through).
        for (var party = 0; party < 2; party++)
        {
            if (duo.ArmedWith(party) is not null)
            {
                byCrashPoint += await duo.KillOrReapAsync(party, incremental: true) ? 1 : 0;
                await StartWorkingAsync(duo, party, rng);
            }
        }

        await Task.WhenAll(
            duo[0].WaitForAsync(CountReached("ack", 20), Duo.CommandTimeout),
            duo[1].WaitForAsync(CountReached("ack", 20), Duo.CommandTimeout));
        log.WriteLine($"time in armed waits {waited[0].Elapsed.TotalSeconds:F0} s, random delays {waited[1].Elapsed.TotalSeconds:F0} s, kill + audit {waited[2].Elapsed.TotalSeconds:F0} s");
        var (version, _, _) = await duo.QuiesceAsync();
        var paid = await duo.ShutdownAndAuditAsync();
        var acks = duo.AllLines(0).Count(l => l.Ev == "ack") + duo.AllLines(1).Count(l => l.Ev == "ack");
        log.WriteLine(
            $"{duo.Kills} kills ({byCrashPoint} at crash points, {doubles} double kills) in {clock.Elapsed.TotalSeconds:F0} s; " +
            $"{acks} payments acknowledged, final version {version}; " +
            $"alice paid {paid[0].Paid} (acknowledged {paid[0].Acked}), bob paid {paid[1].Paid} (acknowledged {paid[1].Acked})");
        Assert.True(paid[0].Acked > Amount.Zero && paid[1].Acked > Amount.Zero, "a side got no payment through the whole loop");
    }

    /// <summary>
    /// Restarts the victims unarmed and waits until each party acknowledges a new payment (an armed
    /// survivor that dies at its crash point meanwhile is reaped and restarted unarmed).
    /// </summary>
    private static async Task CheckpointAsync(Duo duo, int[] victims, Random rng)
    {
        foreach (var victim in victims)
        {
            await StartWorkingAsync(duo, victim, rng);
        }

        var deadline = DateTime.UtcNow + Duo.CommandTimeout;
        var from = new[] { duo[0].LineCount, duo[1].LineCount };
        var done = new bool[2];
        while (!done[0] || !done[1])
        {
            for (var party = 0; party < 2; party++)
            {
                done[party] |= duo[party].Lines.Skip(from[party]).Any(l => l.Ev == "ack");
                if (duo[party].HasExited)
                {
                    // An armed survivor died at its crash point meanwhile (after its own ack, too: its
                    // partner still needs it): reap it, restart it unarmed.
                    await duo.KillOrReapAsync(party, incremental: true);
                    await StartWorkingAsync(duo, party, rng);
                    from[party] = 0;
                }
            }

            Assert.True(
                DateTime.UtcNow < deadline || (done[0] && done[1]),
                $"no payment acknowledged for {Duo.CommandTimeout} (alice {done[0]}, bob {done[1]}): the channel is stuck\n{duo[0].Tail()}\n{duo[1].Tail()}");
            await Task.Delay(20);
        }
    }

    private static async Task<PeerProcess> StartWorkingAsync(Duo duo, int party, Random rng, string? armed = null)
    {
        var process = duo.Start(party, armed);
        await process.SendAsync("wait-channel");
        await process.SendAsync($"pay-forever 1 1000 {1 + rng.Next(6)} {rng.Next()}");
        return process;
    }

    private bool Log(Duo duo, int seed, Stopwatch clock)
    {
        log.WriteLine($"kill loop failed after {duo.Kills} kills, {clock.Elapsed.TotalSeconds:F0} s; replay with STATECHANNELS_KILL_SEED={seed}");
        return false;
    }

    private static Func<HostLine, bool> CountReached(string ev, int count)
    {
        var seen = 0;
        return l => l.Ev == ev && ++seen >= count;
    }
}

using StateChannels.Integration.Tests.Support;

namespace StateChannels.Integration.Tests;

/// <summary>
/// Both parties propose at once, many times over (THREATS B5): the tie-break never lets a version be
/// signed twice, neither side starves, and the LiteDB files of both agree state by state.
/// </summary>
[Collection(ChainCollection.Name)]
public sealed class SimultaneousProposalTests(ChainFixture chain, ITestOutputHelper log)
{
    private static readonly Amount Funding = Amount.Parse("1000000000000000000");

    [Fact]
    public async Task PayAsync_BothProposeAtTheSameTick_NeverTwoSignedStatesAtOneVersion()
    {
        await using var duo = Duo.Create(chain, log);

        // Phase 1 proves the proposals really collide: both are armed to die at their 20th lost
        // tie-break, and one of them must, within 600 rounds that start on the same clock tick.
        const string armed = "proposer.lost-tie:20";
        duo.Start(0, armed);
        duo.Start(1, armed);
        await duo.OpenAsync(Funding, Funding);
        var start = DateTimeOffset.UtcNow.AddMilliseconds(1500).ToUnixTimeMilliseconds();
        await duo[0].SendAsync($"lockstep 600 20 {start} 7");
        await duo[1].SendAsync($"lockstep 600 20 {start} 5");
        var exits = new[] { duo[0].ExitsWithinAsync(TimeSpan.FromMinutes(2)), duo[1].ExitsWithinAsync(TimeSpan.FromMinutes(2)) };
        var first = await Task.WhenAny(exits);
        Assert.True(await first, "600 rounds proposed on the same tick, and neither side lost 20 tie-breaks");
        var dead = Array.IndexOf(exits, first);
        await duo.ExpectCrashAsync(dead, TimeSpan.FromSeconds(30));

        // The other one dies too (kill -9), mid-lockstep; both restart from their files.
        await duo.KillAsync(1 - dead);
        duo.Start(0);
        duo.Start(1);
        await Task.WhenAll(duo.RejoinAsync(0), duo.RejoinAsync(1));

        // Phase 2: another 500 simultaneous rounds, unarmed; every payment goes through.
        start = DateTimeOffset.UtcNow.AddMilliseconds(1000).ToUnixTimeMilliseconds();
        await Task.WhenAll(
            duo[0].CommandAsync($"lockstep 500 20 {start} 7", TimeSpan.FromMinutes(3)),
            duo[1].CommandAsync($"lockstep 500 20 {start} 5", TimeSpan.FromMinutes(3)));
        Assert.Equal(500, duo[0].Lines.Count(l => l.Ev == "ack"));
        Assert.Equal(500, duo[1].Lines.Count(l => l.Ev == "ack"));

        var (version, _, _) = await duo.QuiesceAsync();
        await duo.ShutdownAndAuditAsync();
        log.WriteLine($"party {dead} lost its 20th tie-break first; final version {version}; {duo.Kills} kills");
    }

    [Fact]
    public async Task PayAsync_BothPayWithoutPause_NeitherSideStarves()
    {
        // Each side always has payments queued, so each proposes again the moment its previous
        // update is confirmed. Both must keep getting payments through: a fixed tie-break winner
        // would take every version and leave the other side's payments queued forever.
        await using var duo = Duo.Create(chain, log);
        duo.Start(0);
        duo.Start(1);
        await duo.OpenAsync(Funding, Funding);
        await duo[0].CommandAsync("pay-forever 1 1000 4 1", Duo.CommandTimeout);
        await duo[1].CommandAsync("pay-forever 1 1000 4 2", Duo.CommandTimeout);
        await Task.WhenAll(
            duo[0].WaitForAsync(CountReached("ack", 500), Duo.CommandTimeout),
            duo[1].WaitForAsync(CountReached("ack", 500), Duo.CommandTimeout));
        await duo.QuiesceAsync();
        var paid = await duo.ShutdownAndAuditAsync();
        Assert.Equal(paid[0].Acked, paid[0].Paid);
        Assert.Equal(paid[1].Acked, paid[1].Paid);
    }

    private static Func<HostLine, bool> CountReached(string ev, int count)
    {
        var seen = 0;
        return l => l.Ev == ev && ++seen >= count;
    }
}

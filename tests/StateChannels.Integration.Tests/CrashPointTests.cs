using StateChannels.Integration.Tests.Support;

namespace StateChannels.Integration.Tests;

/// <summary>
/// kill -9 at each named protocol point (STATECHANNELS_CRASH_AT), then restart the process from its
/// LiteDB file (THREATS C1-C5): no two signed states at one version across both files, every
/// acknowledged payment kept, balances conserved, and the channel keeps working.
/// </summary>
[Collection(ChainCollection.Name)]
public sealed class CrashPointTests(ChainFixture chain, ITestOutputHelper log)
{
    private const int Alice = 0;
    private const int Bob = 1;
    private static readonly Amount Funding = Amount.Parse("1000000000000000000");
    private static readonly TimeSpan CrashTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Crash points while both pay each other (both propose and respond); n-th hit, after some payments.</summary>
    public static TheoryData<string, int> DuringPayments => new()
    {
        { "responder.intent-durable:40", Bob },
        { "responder.intent-durable:40", Alice },
        { "responder.accept-sent:40", Bob },
        { "responder.accept-sent:40", Alice },
        { "proposer.accept-received:40", Alice },
        { "proposer.accept-received:40", Bob },
        { "proposer.stored:40", Alice },
        { "proposer.stored:40", Bob },
        { "responder.confirm-received:40", Bob },
        { "responder.confirm-received:40", Alice },
    };

    /// <summary>Crash points while opening and funding: the first hit is at version 0 or at the deposit.</summary>
    public static TheoryData<string, int> DuringOpening => new()
    {
        { "responder.intent-durable:1", Bob },
        { "responder.accept-sent:1", Bob },
        { "proposer.accept-received:1", Alice },
        { "proposer.stored:1", Alice },
        { "responder.confirm-received:1", Bob },
        { "funding.v0-durable:1", Alice },
        { "funding.v0-durable:1", Bob },
        { "funding.deposited:1", Alice },
        { "funding.deposited:1", Bob },
    };

    [Theory]
    [MemberData(nameof(DuringPayments))]
    public async Task CrashAt_DuringPayments_RestartKeepsEveryAcknowledgedPaymentAndWorks(string crashAt, int victim)
    {
        await using var duo = Duo.Create(chain, log);
        duo.Start(Alice, victim == Alice ? crashAt : null);
        duo.Start(Bob, victim == Bob ? crashAt : null);
        await duo.OpenAsync(Funding, Funding);
        await duo[Alice].CommandAsync("pay-forever 1 1000 4 1", Duo.CommandTimeout);
        await duo[Bob].CommandAsync("pay-forever 1 1000 4 2", Duo.CommandTimeout);

        await duo.ExpectCrashAsync(victim, CrashTimeout);
        var survivor = duo[1 - victim];
        var survivorAcks = survivor.Lines.Count(l => l.Ev == "ack");

        duo.Start(victim);
        await duo.RejoinAsync(victim);
        await duo[victim].CommandAsync($"pay-forever 1 1000 4 {3 + victim}", Duo.CommandTimeout);
        await AssertWorkingAsync(duo, victim, survivor, survivorAcks);

        await duo.QuiesceAsync();
        await duo.ShutdownAndAuditAsync();
        Assert.Equal(1, duo.Kills);
    }

    [Theory]
    [MemberData(nameof(DuringOpening))]
    public async Task CrashAt_DuringOpening_RestartOpensFundsAndWorks(string crashAt, int victim)
    {
        await using var duo = Duo.Create(chain, log);
        duo.Start(Alice, victim == Alice ? crashAt : null);
        duo.Start(Bob, victim == Bob ? crashAt : null);
        var open = $"open {Funding} {Funding}";
        var survivorCommand = victim == Alice ? "wait-channel" : open;
        var survivorDone = duo[1 - victim].CommandAsync(survivorCommand, Duo.CommandTimeout * 2);
        await duo[victim].SendAsync(victim == Alice ? open : "wait-channel");

        await duo.ExpectCrashAsync(victim, CrashTimeout);
        duo.Start(victim);
        await duo.OpenAsync(Funding, Funding, victim == Alice ? [null, survivorDone] : [survivorDone, null]);

        await duo[Alice].CommandAsync("pay 30 1 1000 3 5", Duo.CommandTimeout);
        await duo[Bob].CommandAsync("pay 30 1 1000 3 6", Duo.CommandTimeout);
        await duo.QuiesceAsync();
        await duo.ShutdownAndAuditAsync();
        Assert.Equal(1, duo.Kills);
    }

    [Fact]
    public async Task CrashAt_ProposerKilledTwiceBeforeStoring_RestartSkipsBothAbandonedVersions()
    {
        // Only Bob pays, so every proposal is his. He dies after Alice signed his proposal at v
        // (her sign intent stays at v). Restarted, he learns v from her reestablish and proposes
        // above it, at v+1 on base v-1; she signs; he dies again before storing. Restarted again,
        // he must accept her pending signature at v+1 as the known skip, not as misbehaviour.
        await using var duo = Duo.Create(chain, log);
        duo.Start(Alice);
        duo.Start(Bob, "proposer.accept-received:10");
        await duo.OpenAsync(Funding, Funding);
        await duo[Bob].CommandAsync("pay-forever 1 1000 1 9", Duo.CommandTimeout);
        await duo.ExpectCrashAsync(Bob, CrashTimeout);

        duo.Start(Bob, "proposer.accept-received:1");
        await duo[Bob].SendAsync("wait-channel");
        await duo[Bob].SendAsync("pay-forever 1 1000 1 10");
        await duo.ExpectCrashAsync(Bob, CrashTimeout);

        duo.Start(Bob);
        await duo.RejoinAsync(Bob);
        await duo[Bob].CommandAsync("pay-forever 1 1000 2 11", Duo.CommandTimeout);
        await duo[Bob].WaitForAsync(CountReached("ack", 20), Duo.CommandTimeout);
        await duo[Alice].CommandAsync("pay 20 1 1000 2 12", Duo.CommandTimeout);
        await duo.QuiesceAsync();
        await duo.ShutdownAndAuditAsync();
        Assert.Equal(2, duo.Kills);
    }

    /// <summary>After a restart both sides' payments go through again: each acknowledges 20 more.</summary>
    internal static async Task AssertWorkingAsync(Duo duo, int restarted, PeerProcess survivor, int survivorAcksBefore)
    {
        await duo[restarted].WaitForAsync(CountReached("ack", 20), Duo.CommandTimeout);
        await survivor.WaitForAsync(CountReached("ack", survivorAcksBefore + 20), Duo.CommandTimeout);
    }

    private static Func<HostLine, bool> CountReached(string ev, int count)
    {
        var seen = 0;
        return l => l.Ev == ev && ++seen >= count;
    }
}

using System.Diagnostics;
using StateChannels.Integration.Tests.Support;

namespace StateChannels.Integration.Tests;

/// <summary>Alice and Bob as two processes over TCP, LiteDB files, funded on anvil: payments both ways at full speed.</summary>
[Collection(ChainCollection.Name)]
public sealed class ThroughputTests(ChainFixture chain, ITestOutputHelper log)
{
    private const int PaymentsEachWay = 10_000;
    private static readonly Amount Funding = Amount.Parse("1000000000000000000"); // 1 ETH each

    [Fact]
    public async Task PayAsync_TenThousandEachWayConcurrently_BothEndOnTheSameStateWithEveryPayment()
    {
        await using var duo = Duo.Create(chain, log);
        duo.Start(0);
        duo.Start(1);
        await duo.OpenAsync(Funding, Funding);

        var clock = Stopwatch.StartNew();
        await Task.WhenAll(
            duo[0].CommandAsync($"pay {PaymentsEachWay} 1 1000 32 11", TimeSpan.FromMinutes(5)),
            duo[1].CommandAsync($"pay {PaymentsEachWay} 1 1000 8 23", TimeSpan.FromMinutes(5)));
        clock.Stop();
        var rate = 2 * PaymentsEachWay / clock.Elapsed.TotalSeconds;

        var (version, b0, b1) = await duo.QuiesceAsync();
        var sent = new Amount[2];
        for (var party = 0; party < 2; party++)
        {
            var acks = duo.AllLines(party).Where(l => l.Ev == "ack").ToList();
            Assert.Equal(PaymentsEachWay, acks.Count);
            sent[party] = acks.Aggregate(Amount.Zero, (s, a) => s + a.Amount("amount"));
        }

        // The latest state is the starting balances plus every payment, on both sides.
        Assert.Equal(Funding - sent[0] + sent[1], b0);
        Assert.Equal(Funding - sent[1] + sent[0], b1);
        log.WriteLine(
            $"{2 * PaymentsEachWay} payments in {clock.Elapsed.TotalSeconds:F2} s: {rate:F0} payments/s " +
            $"in {version} state updates ({2.0 * PaymentsEachWay / version:F1} payments per update)");

        // The channel ends normally: the final state is signed by both and paid out on chain.
        await duo[0].CommandAsync("close", Duo.CommandTimeout);
        var final = await duo.ReportAsync(0);
        await duo[1].CommandAsync($"await-version {final.U64("version")}", Duo.CommandTimeout);
        var bobFinal = await duo.ReportAsync(1);
        Assert.Equal("true", final.Str("final"));
        Assert.Equal(final.Str("b0"), bobFinal.Str("b0"));
        Assert.Equal(final.Str("b0"), b0.ToString());

        var paid = await duo.ShutdownAndAuditAsync();
        Assert.Equal(sent[0], paid[0].Paid);
        Assert.Equal(sent[1], paid[1].Paid);

        using var reader = PrivateKey.Parse(chain.Node.PrivateKeys[0]);
        var adjudicator = await chain.ReaderAsync(reader);
        var onChain = await adjudicator.GetChannelAsync(duo.Audit.ParamsOf(duo.Channel));
        Assert.True(onChain.Concluded, "the cooperative close was not concluded on chain");
    }
}

using StateChannels.Integration.Tests.Support;

namespace StateChannels.Integration.Tests;

/// <summary>
/// THREATS C5 on a real chain: the opener is killed while its deposit transaction is broadcast but
/// not yet mined, and restarted before it is mined. The deposit must count once: the channel opens,
/// the adjudicator holds exactly the two fundings, and payments work.
/// </summary>
[Collection(ChainCollection.Name)]
public sealed class FundingCrashTests(ChainFixture chain, ITestOutputHelper log)
{
    private static readonly Amount Funding = Amount.Parse("1000000000000000000");

    private static readonly string Open = $"open {Funding} {Funding}";

    [Fact]
    public async Task Deposit_KilledAfterBroadcastBeforeMining_RestartDepositsOnceAndOpens()
    {
        await using var duo = Duo.Create(chain, log);
        var aliceAccount = duo.TransactionAccount(0);
        await chain.Node.RpcAsync("evm_setAutomine", false);
        try
        {
            // The chain still shows nothing deposited, so the restarted opener asks for a deposit
            // again: it is either refused at once or sent and left pending behind the first one.
            var (aliceOpened, bobJoined) = await KillOpenerWithDepositPendingAsync(duo, aliceAccount);
            var retried = duo[0].WaitForAsync(DepositFailed, Duo.CommandTimeout);
            var resent = WaitUntilAsync(async () => await PendingFromAsync(aliceAccount) == 2);
            await Task.WhenAny(retried, resent);
            log.WriteLine(resent.IsCompleted ? "the restarted opener sent a second deposit" : "the restarted opener's second deposit failed before sending");

            // Now mine: the first deposit lands, a second one (if sent) must revert on expectedHeld.
            await chain.Node.RpcAsync("evm_setAutomine", true);
            await chain.Node.MineAsync();
            await Task.WhenAll(aliceOpened, bobJoined);
        }
        finally
        {
            await chain.Node.RpcAsync("evm_setAutomine", true);
        }

        await FundedOnceAndPayingAsync(duo);
    }

    /// <summary>
    /// The same crash with the store as the transaction journal (as samples/Wallet runs): the
    /// restarted opener finds the deposit it sent before it died and waits for it. It sends no second
    /// deposit and none of its deposits fails: the opener's account sends exactly one transaction.
    /// Without the journal the restarted opener either sends a second deposit (reverted once the
    /// first is mined) or has one refused (the test above): this test fails either way.
    /// </summary>
    [Fact]
    public async Task Deposit_KilledAfterBroadcastBeforeMining_WithJournal_RestartWaitsForTheSentDeposit()
    {
        await using var duo = Duo.Create(chain, log, journaled: true);
        var aliceAccount = duo.TransactionAccount(0);
        var nonceBefore = await NonceAsync(aliceAccount);
        await chain.Node.RpcAsync("evm_setAutomine", false);
        try
        {
            var (aliceOpened, bobJoined) = await KillOpenerWithDepositPendingAsync(duo, aliceAccount);
            Assert.Equal(1, await PendingFromAsync(aliceAccount));

            await chain.Node.RpcAsync("evm_setAutomine", true);
            await chain.Node.MineAsync();
            await Task.WhenAll(aliceOpened, bobJoined);
        }
        finally
        {
            await chain.Node.RpcAsync("evm_setAutomine", true);
        }

        Assert.DoesNotContain(duo.AllLines(0), DepositFailed);
        Assert.Equal(nonceBefore + 1, await NonceAsync(aliceAccount));
        await FundedOnceAndPayingAsync(duo);
    }

    private static bool DepositStarted(HostLine l) => l.Ev == "tx" && l.Str("op") == "deposit" && l.Str("phase") == "start";

    private static bool DepositFailed(HostLine l) => l.Ev == "tx" && l.Str("op") == "deposit" && l.Str("phase") == "failed";

    /// <summary>
    /// With the chain not mining: starts both parties, kills Alice once her deposit is in the
    /// mempool, restarts her from her file and asks her to open again; returns once the restarted
    /// Alice has started her deposit, with her open command and Bob's wait still under way.
    /// </summary>
    private async Task<(Task<HostLine> AliceOpened, Task<HostLine> BobJoined)> KillOpenerWithDepositPendingAsync(Duo duo, EthAddress aliceAccount)
    {
        duo.Start(0);
        duo.Start(1);
        var bobJoined = duo[1].CommandAsync("wait-channel", TimeSpan.FromMinutes(3));
        await duo[0].SendAsync(Open);
        await duo[0].WaitForAsync(DepositStarted, Duo.CommandTimeout);
        await WaitUntilAsync(async () => await PendingFromAsync(aliceAccount) == 1);
        await duo.KillAsync(0);

        duo.Start(0);
        var aliceOpened = duo[0].CommandAsync(Open, TimeSpan.FromMinutes(3));
        await duo[0].WaitForAsync(DepositStarted, Duo.CommandTimeout);
        return (aliceOpened, bobJoined);
    }

    /// <summary>The adjudicator holds exactly the two fundings, and both parties get payments through.</summary>
    private async Task FundedOnceAndPayingAsync(Duo duo)
    {
        await duo.LearnChannelAsync();
        using var reader = PrivateKey.Parse(chain.Node.PrivateKeys[0]);
        var onChain = await (await chain.ReaderAsync(reader)).GetChannelAsync(duo.Audit.ParamsOf(duo.Channel));
        Assert.Equal(Funding, onChain.Held0);
        Assert.Equal(Funding, onChain.Held1);

        await duo[0].CommandAsync("pay 20 1 1000 2 7", Duo.CommandTimeout);
        await duo[1].CommandAsync("pay 20 1 1000 2 8", Duo.CommandTimeout);
        await duo.QuiesceAsync();
        await duo.ShutdownAndAuditAsync();
    }

    private async Task<long> NonceAsync(EthAddress account)
    {
        var count = await chain.Node.RpcAsync("eth_getTransactionCount", account.ToString(), "latest");
        return Convert.ToInt64(count!.GetValue<string>(), 16);
    }

    private async Task<int> PendingFromAsync(EthAddress account)
    {
        var pool = await chain.Node.RpcAsync("txpool_content");
        var pending = pool?["pending"]?.AsObject();
        if (pending is null)
        {
            return 0;
        }

        return pending
            .Where(p => string.Equals(p.Key, account.ToString(), StringComparison.OrdinalIgnoreCase))
            .Sum(p => p.Value?.AsObject().Count ?? 0);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var limit = new CancellationTokenSource(Duo.CommandTimeout);
        while (!await condition())
        {
            await Task.Delay(20, limit.Token);
        }
    }
}

using System.Numerics;
using StateChannels.Ethereum.Internal;
using StateChannels.Storage.LiteDb;
using StateChannels.Testing;
using Xunit.Abstractions;
using static StateChannels.Ethereum.Tests.Transactions.ChainProbe;

namespace StateChannels.Ethereum.Tests.Transactions;

/// <summary>
/// The durable transaction manager on a real anvil: nonces across instances sharing a journal,
/// another wallet using the account, stuck transactions replaced by fee bumps. These tests stop
/// anvil's automining, so they have an anvil of their own; each uses its own dev account.
/// </summary>
public sealed class TransactionManagerTests(AnvilFixture fx, ITestOutputHelper output) : IClassFixture<AnvilFixture>, IDisposable
{
    private static readonly BigInteger Gwei = 1_000_000_000;
    private readonly PrivateKey _alice = PrivateKey.Create();
    private readonly PrivateKey _bob = PrivateKey.Create();
    private readonly string _directory = Directory.CreateTempSubdirectory("sc-tx-").FullName;

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task SendAsync_NewInstanceSameJournalAfterNodeDroppedOurTransaction_ContinuesNoncesAndResumesWithoutResending()
    {
        var key = fx.Keys[1];
        var path = Path.Combine(_directory, "wallet.db");
        var first = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000);
        var second = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000);
        var n0 = await NonceAsync(fx.Node, key.Address);

        var store = LiteDbChannelStore.Open(path);
        var before = await fx.ConnectAsync(key, journal: store);
        var signedBefore = RecordSigned(before);
        await fx.Node.RpcAsync("evm_setAutomine", false);
        try
        {
            using (var cts = new CancellationTokenSource())
            {
                var deposit = before.DepositAsync(first, 0, Amount.Zero, 1_000, cts.Token).AsTask();
                await WaitPendingAsync(fx.Node, key.Address, n0 + 1);
                await cts.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => deposit);
            }

            // The process "restarts" and the node lost its mempool (as a restarted node does): without
            // the journal the next send would reuse nonce n0 and the first deposit would be gone.
            await store.DisposeAsync();
            await fx.Node.RpcAsync("anvil_dropTransaction", signedBefore.Single().Hash.ToString());
            Assert.Equal(n0, await NonceAsync(fx.Node, key.Address, "pending"));

            await using var reopened = LiteDbChannelStore.Open(path);
            var after = await fx.ConnectAsync(key, journal: reopened);
            var signedAfter = RecordSigned(after);
            var deposit2 = after.DepositAsync(second, 1, Amount.Zero, 1_000).AsTask();
            await WaitPendingAsync(fx.Node, key.Address, n0 + 2);
            await fx.Node.RpcAsync("evm_setAutomine", true);
            await fx.Node.MineAsync();
            await deposit2.WaitAsync(TimeSpan.FromSeconds(30));

            // The interrupted operation, asked again, finds its journaled transaction mined: nothing new is sent.
            await after.DepositAsync(first, 0, Amount.Zero, 1_000);

            Assert.Equal(n0, signedBefore.Single().Nonce);
            Assert.Equal(n0 + 1, signedAfter.Single().Nonce);
            Assert.Equal(n0 + 2, await NonceAsync(fx.Node, key.Address));
            Assert.True(await IsMinedAsync(fx.Node, signedBefore.Single().Hash));
            Assert.Equal(new Amount(1_000), (await after.GetChannelAsync(first)).Held0);
            Assert.Equal(new Amount(1_000), (await after.GetChannelAsync(second)).Held1);
        }
        finally
        {
            await fx.Node.RpcAsync("evm_setAutomine", true);
        }
    }

    [Fact]
    public async Task SendAsync_AnotherWalletUsesOurPendingNonce_ReSignsAtAFreshNonceAndLandsOnce()
    {
        var key = fx.Keys[2]; // an unlocked anvil account: "another wallet" sends with eth_sendTransaction
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000);
        var adjudicator = await fx.ConnectAsync(key, journal: new InMemoryChannelStore());
        var signed = RecordSigned(adjudicator);
        var n0 = await NonceAsync(fx.Node, key.Address);
        await fx.Node.RpcAsync("evm_setAutomine", false);
        Task deposit;
        try
        {
            deposit = adjudicator.DepositAsync(channel, 0, Amount.Zero, 1_000).AsTask();
            await WaitPendingAsync(fx.Node, key.Address, n0 + 1);

            // The other wallet sends at the same nonce with a higher fee; the node keeps its transaction.
            var other = (string)(await fx.Node.RpcAsync("eth_sendTransaction", new Dictionary<string, string>
            {
                ["from"] = key.Address.ToString(),
                ["to"] = _bob.Address.ToString(),
                ["value"] = "0x1",
                ["nonce"] = "0x" + n0.ToString("x", System.Globalization.CultureInfo.InvariantCulture),
                ["maxFeePerGas"] = "0x" + (500 * Gwei).ToString("x", System.Globalization.CultureInfo.InvariantCulture).TrimStart('0'),
                ["maxPriorityFeePerGas"] = "0x" + (100 * Gwei).ToString("x", System.Globalization.CultureInfo.InvariantCulture).TrimStart('0'),
            }))!;
            await fx.Node.MineAsync();
            Assert.True(await IsMinedAsync(fx.Node, Hash32.Parse(other)));
        }
        finally
        {
            await fx.Node.RpcAsync("evm_setAutomine", true);
        }

        await deposit.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([n0, n0 + 1], signed.Select(s => s.Nonce));
        Assert.False(await IsMinedAsync(fx.Node, signed.First().Hash));
        Assert.True(await IsMinedAsync(fx.Node, signed.Last().Hash));
        Assert.Equal(n0 + 2, await NonceAsync(fx.Node, key.Address));
        Assert.Equal(new Amount(1_000), (await adjudicator.GetChannelAsync(channel)).Held0);
    }

    [Fact]
    public async Task SendAsync_StuckBelowBaseFee_ReplacedAtSameNonceAndExactlyOneMined()
    {
        var key = fx.Keys[3];
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000);
        var adjudicator = await ConnectBumpingAsync(key, TimeSpan.FromMilliseconds(300));
        var signed = RecordSigned(adjudicator);
        var n0 = await NonceAsync(fx.Node, key.Address);
        await fx.Node.RpcAsync("evm_setAutomine", false);
        Task deposit;
        try
        {
            deposit = adjudicator.DepositAsync(channel, 0, Amount.Zero, 1_000).AsTask();
            await WaitPendingAsync(fx.Node, key.Address, n0 + 1);

            // The base fee jumps far above our bid: the block is mined without our transaction.
            var low = signed.Single();
            await fx.Node.RpcAsync("anvil_setNextBlockBaseFeePerGas", "0x" + (100 * Gwei).ToString("x", System.Globalization.CultureInfo.InvariantCulture).TrimStart('0'));
            await fx.Node.MineAsync();
            Assert.False(await IsMinedAsync(fx.Node, low.Hash));
            Assert.Equal(n0, await NonceAsync(fx.Node, key.Address));

            // The manager replaces it with a bid above the new base fee; the next block takes it.
            await UntilAsync(() => signed.Count >= 2 || deposit.IsCompleted);
            Assert.False(deposit.IsFaulted, deposit.Exception?.ToString());
        }
        finally
        {
            await fx.Node.RpcAsync("evm_setAutomine", true);
            await fx.Node.MineAsync();
        }

        await deposit.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(signed, s => Assert.Equal(n0, s.Nonce));
        var mined = (await MinedAsync(fx.Node, signed)).Select(a => a.Hash).ToList();

        Assert.Single(mined);
        Assert.NotEqual(signed.First().Hash, mined[0]);
        Assert.Equal(n0 + 1, await NonceAsync(fx.Node, key.Address));
        Assert.Equal(new Amount(1_000), (await adjudicator.GetChannelAsync(channel)).Held0);
        var receipt = (await fx.Node.RpcAsync("eth_getTransactionReceipt", mined[0].ToString()))!;
        output.WriteLine(
            $"bumped deposit: {signed.Count} signed at nonce {n0}, mined {mined[0]}: gas used {Hex(receipt["gasUsed"])}, " +
            $"effective gas price {Hex(receipt["effectiveGasPrice"])} wei");
    }

    [Fact]
    public async Task SendAsync_UnminedPastTheBumpInterval_ReplacedWithBothFeesRaisedAndOneMined()
    {
        var key = fx.Keys[4];
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000);
        var adjudicator = await ConnectBumpingAsync(key, TimeSpan.FromMilliseconds(200));
        var signed = RecordSigned(adjudicator);
        var n0 = await NonceAsync(fx.Node, key.Address);
        await fx.Node.RpcAsync("evm_setAutomine", false);
        Task deposit;
        try
        {
            // Nobody mines: the transaction sits in the mempool, valid but unmined, past the interval.
            deposit = adjudicator.DepositAsync(channel, 0, Amount.Zero, 1_000).AsTask();
            await UntilAsync(() => signed.Count >= 3 || deposit.IsCompleted);
            Assert.False(deposit.IsCompleted, deposit.Exception?.ToString());
        }
        finally
        {
            await fx.Node.RpcAsync("evm_setAutomine", true);
            await fx.Node.MineAsync();
        }

        await deposit.WaitAsync(TimeSpan.FromSeconds(30));

        var attempts = signed.ToArray();
        for (var i = 1; i < attempts.Length; i++)
        {
            // Every replacement: same nonce, both fee fields at least +12.5% (node minimum: +10%).
            Assert.Equal(n0, attempts[i].Nonce);
            Assert.True(attempts[i].Fees.MaxFeePerGas * 1000 >= attempts[i - 1].Fees.MaxFeePerGas * 1125);
            Assert.True(attempts[i].Fees.MaxPriorityFeePerGas * 1000 >= attempts[i - 1].Fees.MaxPriorityFeePerGas * 1125);
        }

        var mined = await MinedAsync(fx.Node, attempts);

        Assert.Single(mined);
        Assert.NotEqual(attempts[0].Hash, mined[0].Hash);
        Assert.Equal(n0 + 1, await NonceAsync(fx.Node, key.Address));
        Assert.Equal(new Amount(1_000), (await adjudicator.GetChannelAsync(channel)).Held0);
    }

    [Fact]
    public async Task RegisterAsync_RefutationNearTheChallengeDeadline_BumpsLongBeforeTheIntervalAndByHalf()
    {
        // Chain: a dispute with 8 seconds of its challenge period left runs; our refutation is stuck in
        // the mempool. (The contract's shortest period is 60 s: the chain clock jumps 52 s of it.)
        var key = fx.Keys[5];
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000, challengeSeconds: ChannelParams.MinChallengeDurationSeconds);
        var id = Eip712.ComputeChannelId(fx.Domain, channel);
        var funder = await fx.ConnectAsync(fx.Keys[6]);
        await funder.DepositAsync(channel, 0, Amount.Zero, 1_000);
        await funder.DepositAsync(channel, 1, Amount.Zero, 1_000);
        await funder.RegisterAsync(channel, fx.SignBoth(new ChannelState(id, 1, 1_000, 1_000, IsFinal: false), _alice, _bob));
        await fx.Node.IncreaseTimeAsync(TimeSpan.FromSeconds(ChannelParams.MinChallengeDurationSeconds - 8));

        // The interval alone would wait ten minutes before the first bump.
        var refuter = await ConnectBumpingAsync(key, TimeSpan.FromMinutes(10));
        var signed = RecordSigned(refuter);
        await fx.Node.RpcAsync("evm_setAutomine", false);
        Task refute;
        try
        {
            refute = refuter.RegisterAsync(channel, fx.SignBoth(new ChannelState(id, 2, 900, 1_100, IsFinal: false), _alice, _bob)).AsTask();
            await UntilAsync(() => signed.Count >= 2 || refute.IsCompleted);
            Assert.False(refute.IsCompleted, refute.Exception?.ToString());
        }
        finally
        {
            await fx.Node.RpcAsync("evm_setAutomine", true);
            await fx.Node.MineAsync();
        }

        await refute.WaitAsync(TimeSpan.FromSeconds(30));

        var attempts = signed.ToArray();
        Assert.Equal(attempts[0].Nonce, attempts[1].Nonce);
        Assert.True(attempts[1].Fees.MaxFeePerGas * 10 >= attempts[0].Fees.MaxFeePerGas * 15, "an urgent bump is +50%");
        Assert.True(attempts[1].Fees.MaxPriorityFeePerGas * 10 >= attempts[0].Fees.MaxPriorityFeePerGas * 15, "an urgent bump is +50%");
        Assert.Equal(2UL, (await refuter.GetChannelAsync(channel)).RegisteredVersion);
    }

    [Fact]
    public async Task SendAsync_TwoInstancesOfOneAccountSendConcurrently_AllLandWithContiguousNonces()
    {
        var key = fx.Keys[7];
        var n0 = await NonceAsync(fx.Node, key.Address);
        var first = await fx.ConnectAsync(key);
        var second = await fx.ConnectAsync(key, journal: new InMemoryChannelStore());
        var signed = new System.Collections.Concurrent.ConcurrentQueue<TxAttempt>();
        first.Transactions.Signed = (_, attempt) => signed.Enqueue(attempt);
        second.Transactions.Signed = (_, attempt) => signed.Enqueue(attempt);
        var channels = Enumerable.Range(0, 8).Select(_ => AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000)).ToList();

        await Task.WhenAll(channels.Select((channel, i) => (i % 2 == 0 ? first : second).DepositAsync(channel, 0, Amount.Zero, 1_000).AsTask()));

        Assert.Equal(Enumerable.Range(0, 8).Select(i => n0 + (ulong)i), signed.Select(s => s.Nonce).Order());
        Assert.Equal(n0 + 8, await NonceAsync(fx.Node, key.Address));
        foreach (var channel in channels)
        {
            Assert.Equal(new Amount(1_000), (await first.GetChannelAsync(channel)).Held0);
        }
    }

    [Fact]
    public async Task SendAsync_AbandonedEarlierTransactionBlocksOurNonce_IsBumpedAlongAndBothLand()
    {
        var key = fx.Keys[8];
        var abandoned = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000);
        var waiting = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000);
        var adjudicator = await ConnectBumpingAsync(key, TimeSpan.FromMilliseconds(300));
        var signed = RecordSigned(adjudicator);
        var n0 = await NonceAsync(fx.Node, key.Address);
        await fx.Node.RpcAsync("evm_setAutomine", false);
        Task deposit;
        try
        {
            // The first deposit's caller gives up; its transaction stays in the mempool at nonce n0.
            using (var cts = new CancellationTokenSource())
            {
                var first = adjudicator.DepositAsync(abandoned, 0, Amount.Zero, 1_000, cts.Token).AsTask();
                await WaitPendingAsync(fx.Node, key.Address, n0 + 1);
                await cts.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
            }

            // The second one (nonce n0 + 1) cannot be mined before it: its bumps carry the first one along.
            deposit = adjudicator.DepositAsync(waiting, 0, Amount.Zero, 1_000).AsTask();
            await UntilAsync(() => signed.Count(a => a.Nonce == n0) >= 2 || deposit.IsCompleted);
            Assert.False(deposit.IsCompleted, deposit.Exception?.ToString());
        }
        finally
        {
            await fx.Node.RpcAsync("evm_setAutomine", true);
            await fx.Node.MineAsync();
        }

        await deposit.WaitAsync(TimeSpan.FromSeconds(30));

        var atN0 = signed.Where(a => a.Nonce == n0).ToArray();
        Assert.True(atN0[1].Fees.MaxFeePerGas * 1000 >= atN0[0].Fees.MaxFeePerGas * 1125);
        Assert.Single(await MinedAsync(fx.Node, atN0));
        Assert.Equal(n0 + 2, await NonceAsync(fx.Node, key.Address));
        Assert.Equal(new Amount(1_000), (await adjudicator.GetChannelAsync(abandoned)).Held0);
        Assert.Equal(new Amount(1_000), (await adjudicator.GetChannelAsync(waiting)).Held0);
    }

    /// <summary>An adjudicator for <paramref name="key"/> with its own journal, bumping after <paramref name="bumpInterval"/>, logging to the test output.</summary>
    private Task<EthereumAdjudicator> ConnectBumpingAsync(PrivateKey key, TimeSpan bumpInterval)
    {
        var options = AnvilFixture.FastOptions();
        options.FeeBumpInterval = bumpInterval;
        options.Logger = new TestOutputLogger(output);
        return fx.ConnectAsync(key, options, new InMemoryChannelStore());
    }
}

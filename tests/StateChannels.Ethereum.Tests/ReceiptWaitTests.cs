using System.Globalization;
using System.Numerics;
using Nethereum.Contracts;
using StateChannels.Ethereum.Internal;
using Xunit.Abstractions;
using AdjudicatorBindings = StateChannels.Ethereum.Bindings.Adjudicator;

namespace StateChannels.Ethereum.Tests;

/// <summary>
/// Receipts and confirmations: a transaction counts only when mined with status 1 and buried deep
/// enough; a missing receipt or a shallow one is never success; a transaction that passed estimation
/// but reverted on chain is named from a replay. These tests stop and start anvil's mining, so they
/// have an anvil of their own.
/// </summary>
public sealed class ReceiptWaitTests(AnvilFixture fx, ITestOutputHelper output) : IClassFixture<AnvilFixture>, IDisposable
{
    private readonly PrivateKey _alice = PrivateKey.Create();
    private readonly PrivateKey _bob = PrivateKey.Create();

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
    }

    [Fact]
    public async Task DepositAsync_ConfirmationDepth2_ReturnsOnlyAfterTheNextBlock()
    {
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000);
        var funder = await fx.ConnectAsync(fx.Keys[1], AnvilFixture.FastOptions(depth: 2));

        var deposit = funder.DepositAsync(channel, 0, Amount.Zero, 1_000).AsTask();
        await Task.Delay(300);
        Assert.False(deposit.IsCompleted, "returned with one confirmation while two were required");

        // Views read at the depth too: the deposit's block is the head, so it is not visible yet.
        Assert.Equal(Amount.Zero, (await funder.GetChannelAsync(channel)).Held0);

        await fx.Node.MineAsync();
        await deposit.WaitAsync(TimeSpan.FromSeconds(30));
        var receipt = fx.Receipts.Last(r => r.Operation == "Adjudicator.deposit").Receipt;
        Assert.True(await fx.Node.BlockNumberAsync() >= (ulong)receipt.BlockNumber.Value + 1);
        Assert.Equal(new Amount(1_000), (await funder.GetChannelAsync(channel)).Held0);
    }

    [Fact]
    public async Task DepositAsync_DepthNeverReached_ThrowsTimeoutNotSuccess()
    {
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000);
        var options = AnvilFixture.FastOptions(depth: 3);
        options.ReceiptTimeout = TimeSpan.FromMilliseconds(400);
        var funder = await fx.ConnectAsync(fx.Keys[2], options);

        var e = await Assert.ThrowsAsync<StateChannelException>(async () => await funder.DepositAsync(channel, 0, Amount.Zero, 1_000));

        Assert.Equal(ErrorCode.Timeout, e.Code);
        Assert.Contains("not confirmed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DepositAsync_TransactionNeverMined_ThrowsTimeoutNotSuccess()
    {
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000);
        var options = AnvilFixture.FastOptions();
        options.ReceiptTimeout = TimeSpan.FromMilliseconds(400);
        var funder = await fx.ConnectAsync(fx.Keys[3], options);
        await fx.Node.RpcAsync("evm_setAutomine", false);
        try
        {
            var e = await Assert.ThrowsAsync<StateChannelException>(async () => await funder.DepositAsync(channel, 0, Amount.Zero, 1_000));
            Assert.Equal(ErrorCode.Timeout, e.Code);
            Assert.Contains("not mined", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await fx.Node.RpcAsync("evm_setAutomine", true);
            await fx.Node.MineAsync();
        }

        // Mined later, as the message warned. The retry finds the journaled transaction and its receipt:
        // it succeeds without sending a second deposit (which the expectedHeld guard would revert).
        Assert.Equal(new Amount(1_000), (await funder.GetChannelAsync(channel)).Held0);
        var nonce = await fx.Node.RpcAsync("eth_getTransactionCount", funder.Account.ToString(), "pending");
        await funder.DepositAsync(channel, 0, Amount.Zero, 1_000);
        Assert.Equal((string?)nonce, (string?)await fx.Node.RpcAsync("eth_getTransactionCount", funder.Account.ToString(), "pending"));
    }

    [Fact]
    public async Task DepositAsync_CancelledWhileWaitingForReceipt_ThrowsOperationCanceled()
    {
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000);
        var funder = await fx.ConnectAsync(fx.Keys[6]);
        var before = await PendingNonceAsync(funder.Account);
        using var cts = new CancellationTokenSource();
        await fx.Node.RpcAsync("evm_setAutomine", false);
        try
        {
            var deposit = funder.DepositAsync(channel, 1, Amount.Zero, 1_000, cts.Token).AsTask();
            while (await PendingNonceAsync(funder.Account) == before)
            {
                await Task.Delay(10);
            }

            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => deposit);
        }
        finally
        {
            await fx.Node.RpcAsync("evm_setAutomine", true);
            await fx.Node.MineAsync();
        }

        // Cancelling stopped the wait, not the transaction.
        Assert.Equal(new Amount(1_000), (await funder.GetChannelAsync(channel)).Held1);
    }

    [Fact]
    public async Task DepositAsync_RevertedOnChainAfterEstimation_ThrowsTransactionFailedNamedFromReplay()
    {
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000);
        var funder = await fx.ConnectAsync(fx.Keys[4]);
        var rival = fx.Keys[5].Address.ToString(); // an unlocked anvil account
        var before = await PendingNonceAsync(funder.Account);
        await fx.Node.RpcAsync("evm_setAutomine", false);
        Task deposit;
        try
        {
            // Our deposit passes estimation (the channel is empty) and waits in the mempool ...
            deposit = funder.DepositAsync(channel, 0, Amount.Zero, 1_000).AsTask();
            while (await PendingNonceAsync(funder.Account) == before)
            {
                await Task.Delay(10);
            }

            // ... when a rival's cooperative close of the (still empty) channel outbids it into the same
            // block. (A rival deposit no longer does: deposits are top-ups and never revert on one another.)
            var id = Eip712.ComputeChannelId(fx.Domain, channel);
            var final = fx.SignBoth(new ChannelState(id, 1, 1_000, 1_000, IsFinal: true), _alice, _bob);
            var data = new AdjudicatorBindings.CloseFunction
            {
                P = AbiConvert.ToAbi(channel),
                S = AbiConvert.ToAbi(final.State),
                Sig0 = final.Sig0.ToArray(),
                Sig1 = final.Sig1.ToArray(),
            }.GetCallData();
            await fx.Node.RpcAsync("eth_sendTransaction", new Dictionary<string, string>
            {
                ["from"] = rival,
                ["to"] = fx.Adjudicator.ToString(),
                ["data"] = AbiConvert.ToHex(data),
                ["gas"] = "0x493e0",
                ["maxPriorityFeePerGas"] = "0x174876e800", // 100 gwei
                ["maxFeePerGas"] = "0x2540be4000", // 160 gwei
            });
            await fx.Node.MineAsync();
        }
        finally
        {
            await fx.Node.RpcAsync("evm_setAutomine", true);
        }

        var e = await Assert.ThrowsAsync<StateChannelException>(() => deposit);
        Assert.Equal(ErrorCode.TransactionFailed, e.Code);
        Assert.StartsWith("ChannelConcluded", e.Message, StringComparison.Ordinal);
        Assert.Contains("transaction 0x", e.Message, StringComparison.Ordinal);
        output.WriteLine(e.Message);
        var view = await funder.GetChannelAsync(channel);
        Assert.True(view.Concluded);
        Assert.Equal(Amount.Zero, view.Held0); // our deposit reverted with the rest of its transaction
    }

    /// <summary>
    /// Security review, finding 3, as a real front-runner does it: our deposit is estimated and signed
    /// while the channel holds nothing for our participant, then a griefer's 1-wei deposit for the same
    /// participant outbids it into the same block. Ours now takes the refund path (a value call back to
    /// us, which needs 9,100 gas up front); it must still fit the gas limit made from the estimate, or the
    /// griefing works after all. The contract keeps that gas in reserve on every ETH deposit, so the
    /// estimate covers it: checked with our default 25% margin and with none (as ethers and viem send),
    /// for the first deposit of a channel and for the second (whose storage write is no cheaper when
    /// griefed). Without the reserve the second deposit ran out of gas with the 25% margin.
    /// </summary>
    [Theory]
    [InlineData(false, 25)]
    [InlineData(true, 25)]
    [InlineData(true, 0)]
    public async Task DepositAsync_GrieferOutbidsItIntoTheSameBlockAfterEstimation_StillSucceedsAndRefunds(bool peerDepositedFirst, int marginPercent)
    {
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, AnvilFixture.Ether, AnvilFixture.Ether);
        if (peerDepositedFirst)
        {
            await (await fx.ConnectAsync(fx.Keys[9])).DepositAsync(channel, 0, Amount.Zero, channel.Funding0);
        }

        var options = AnvilFixture.FastOptions();
        options.GasLimitMarginPercent = marginPercent;
        var victim = await fx.ConnectAsync(fx.Keys[7], options);
        var griefer = fx.Keys[8].Address.ToString(); // an unlocked anvil account
        var balance = await fx.BalanceAsync(victim.Account);
        var before = await PendingNonceAsync(victim.Account);
        await fx.Node.RpcAsync("evm_setAutomine", false);
        Task deposit;
        try
        {
            deposit = victim.DepositAsync(channel, 1, Amount.Zero, channel.Funding1).AsTask();
            while (await PendingNonceAsync(victim.Account) == before)
            {
                await Task.Delay(10);
            }

            var data = new AdjudicatorBindings.DepositFunction
            {
                P = AbiConvert.ToAbi(channel),
                Idx = 1,
                ExpectedHeld = 0,
                Amount = 1,
            }.GetCallData();
            await fx.Node.RpcAsync("eth_sendTransaction", new Dictionary<string, string>
            {
                ["from"] = griefer,
                ["to"] = fx.Adjudicator.ToString(),
                ["data"] = AbiConvert.ToHex(data),
                ["value"] = "0x1",
                ["gas"] = "0x493e0",
                ["maxPriorityFeePerGas"] = "0x174876e800", // 100 gwei: ahead of ours
                ["maxFeePerGas"] = "0x2540be4000",
            });
            await fx.Node.MineAsync();
        }
        finally
        {
            await fx.Node.RpcAsync("evm_setAutomine", true);
        }

        await deposit.WaitAsync(TimeSpan.FromSeconds(30));
        var receipt = fx.Receipts.Last(r => r.Operation == "Adjudicator.deposit").Receipt;
        var tx = await fx.Node.RpcAsync("eth_getTransactionByHash", receipt.TransactionHash);
        output.WriteLine($"griefed deposit: gas used {receipt.GasUsed.Value} of limit {BigInteger.Parse("0" + ((string)tx!["gas"]!)[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)}");
        Assert.Equal(channel.Funding1, (await victim.GetChannelAsync(channel)).Held1);
        Assert.Equal(balance - (channel.Funding1.ToBigInteger() - 1) - AnvilFixture.Fee(receipt), await fx.BalanceAsync(victim.Account));
    }

    private async Task<BigInteger> PendingNonceAsync(EthAddress account)
    {
        var hex = (string)(await fx.Node.RpcAsync("eth_getTransactionCount", account.ToString(), "pending"))!;
        return BigInteger.Parse("0" + hex[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }
}

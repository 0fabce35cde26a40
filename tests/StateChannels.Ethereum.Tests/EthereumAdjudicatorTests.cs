using System.Numerics;
using Nethereum.Contracts;
using StateChannels.Ethereum.Internal;
using Xunit.Abstractions;
using AdjudicatorBindings = StateChannels.Ethereum.Bindings.Adjudicator;

namespace StateChannels.Ethereum.Tests;

/// <summary>
/// Every <see cref="EthereumAdjudicator"/> operation against the deployed contract on anvil. The
/// channel keys are fresh keys without ETH (so payouts show in their balances to the wei); the
/// transaction keys are anvil accounts: 1 funds participant 0, 2 funds participant 1, 3 submits.
/// </summary>
public sealed class EthereumAdjudicatorTests(AnvilFixture fx, ITestOutputHelper output) : IClassFixture<AnvilFixture>, IDisposable
{
    private readonly PrivateKey _alice = PrivateKey.Create();
    private readonly PrivateKey _bob = PrivateKey.Create();

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
    }

    [Fact]
    public async Task DepositAsync_Eth_CreditsEachParticipant()
    {
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 3 * AnvilFixture.Ether, AnvilFixture.Ether);
        var funder0 = await fx.ConnectAsync(fx.Keys[1]);
        var funder1 = await fx.ConnectAsync(fx.Keys[2]);
        var held = await fx.BalanceAsync(fx.Adjudicator);

        await funder0.DepositAsync(channel, 0, Amount.Zero, channel.Funding0);
        var half = await funder0.GetChannelAsync(channel);
        Assert.Equal(channel.Funding0, half.Held0);
        Assert.Equal(Amount.Zero, half.Held1);
        Assert.False(half.IsUsable(channel));

        await funder1.DepositAsync(channel, 1, Amount.Zero, channel.Funding1);
        var funded = await funder1.GetChannelAsync(channel);
        Assert.True(funded.IsUsable(channel));
        Assert.Null(funded.RegisteredVersion);
        Assert.Null(funded.Deadline);
        Assert.False(funded.Concluded);
        Assert.Equal(held + (4 * AnvilFixture.Ether), await fx.BalanceAsync(fx.Adjudicator));

        // Sent as EIP-1559 (type 2) transactions.
        var deposits = fx.Receipts.Where(r => r.Operation == "Adjudicator.deposit").TakeLast(2).ToList();
        foreach (var (_, receipt) in deposits)
        {
            var tx = await fx.Node.RpcAsync("eth_getTransactionByHash", receipt.TransactionHash);
            Assert.Equal("0x2", (string?)tx!["type"]);
        }

        output.WriteLine($"gas: deposit ETH first {deposits[0].Receipt.GasUsed.Value}, second {deposits[1].Receipt.GasUsed.Value}");
    }

    [Fact]
    public async Task DepositAsync_Erc20_ApprovesThenDepositsAndCloseKeepsTokenBalancesExact()
    {
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 500, 300, asset: fx.Token);
        await fx.MintAsync(fx.Keys[1].Address, 1_000);
        await fx.MintAsync(fx.Keys[2].Address, 1_000);
        var funder0 = await fx.ConnectAsync(fx.Keys[1]);
        var funder1 = await fx.ConnectAsync(fx.Keys[2]);
        var adjudicatorTokens = await fx.TokenBalanceAsync(fx.Adjudicator);
        var funder0Tokens = await fx.TokenBalanceAsync(funder0.Account);

        // Two steps for participant 0 (a top-up), so the second deposit approves again.
        await funder0.DepositAsync(channel, 0, Amount.Zero, 200);
        await funder0.DepositAsync(channel, 0, 200, 300);
        await funder1.DepositAsync(channel, 1, Amount.Zero, 300);

        Assert.Equal(adjudicatorTokens + 800, await fx.TokenBalanceAsync(fx.Adjudicator));
        Assert.Equal(funder0Tokens - 500, await fx.TokenBalanceAsync(funder0.Account));
        var view = await funder0.GetChannelAsync(channel);
        Assert.Equal(new Amount(500), view.Held0);
        Assert.Equal(new Amount(300), view.Held1);
        Assert.True(view.IsUsable(channel));
        output.WriteLine($"gas: approve {fx.LastGas("ERC20.approve")}, deposit ERC-20 {fx.LastGas("Adjudicator.deposit")}");

        var id = Eip712.ComputeChannelId(fx.Domain, channel);
        var final = fx.SignBoth(new ChannelState(id, 9, 123, 677, IsFinal: true), _alice, _bob);
        await (await fx.ConnectAsync(fx.Keys[3])).CloseAsync(channel, final);
        Assert.Equal(new BigInteger(123), await fx.TokenBalanceAsync(_alice.Address));
        Assert.Equal(new BigInteger(677), await fx.TokenBalanceAsync(_bob.Address));
        Assert.Equal(adjudicatorTokens, await fx.TokenBalanceAsync(fx.Adjudicator));
        output.WriteLine($"gas: close ERC-20 {fx.LastGas("Adjudicator.close")}");
    }

    [Fact]
    public async Task DepositAsync_RepeatedFromElsewhere_CreditsNothingAndRefundsTheValue()
    {
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, AnvilFixture.Ether, AnvilFixture.Ether);
        var funder = await fx.ConnectAsync(fx.Keys[1]);
        await funder.DepositAsync(channel, 0, Amount.Zero, channel.Funding0);

        // The same call again through the same journal is answered from it: no second transaction.
        var nonce = await fx.Node.RpcAsync("eth_getTransactionCount", funder.Account.ToString(), "pending");
        await funder.DepositAsync(channel, 0, Amount.Zero, channel.Funding0);
        Assert.Equal((string?)nonce, (string?)await fx.Node.RpcAsync("eth_getTransactionCount", funder.Account.ToString(), "pending"));

        // A retried deposit from elsewhere (no shared journal; expects the channel still empty) must not
        // deposit twice: its target (0 + funding) is already reached, so it credits nothing and the whole
        // value comes back in the same transaction. The account pays only the gas.
        var elsewhere = await fx.ConnectAsync(fx.Keys[1]);
        var before = await fx.BalanceAsync(elsewhere.Account);
        await elsewhere.DepositAsync(channel, 0, Amount.Zero, channel.Funding0);
        var receipt = fx.Receipts.Last(r => r.Operation == "Adjudicator.deposit").Receipt;
        Assert.Equal(before - AnvilFixture.Fee(receipt), await fx.BalanceAsync(elsewhere.Account));
        Assert.Equal(channel.Funding0, (await funder.GetChannelAsync(channel)).Held0);
        output.WriteLine($"gas: a duplicated ETH deposit (credit 0, full refund) {receipt.GasUsed.Value}");
    }

    /// <summary>
    /// Security review, finding 3: a griefer deposits 1 wei for the victim right before each of the
    /// victim's deposits (the victim read its holdings, the griefer's transaction lands, then the victim's
    /// with the holdings it read, as a front-runner would have it). Each victim deposit still succeeds;
    /// the channel ends exactly funded and the victim pays exactly funding minus the griefer's wei, plus
    /// gas. On the old contract the victim's deposit reverted with <c>UnexpectedHeld</c>.
    /// </summary>
    [Fact]
    public async Task DepositAsync_GrieferDepositsOneWeiBeforeEachDeposit_VictimStillFundsAndPaysFundingMinusOneWei()
    {
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 2 * AnvilFixture.Ether, AnvilFixture.Ether);
        var victim0 = await fx.ConnectAsync(fx.Keys[1]);
        var victim1 = await fx.ConnectAsync(fx.Keys[2]);
        var griefer = await fx.ConnectAsync(fx.Keys[7]);

        // Participant 0 funds in two steps (the first half, then the rest), participant 1 in one; the
        // griefer lands 1 wei for the victim's participant right before every one of them.
        var half = Amount.FromWei(AnvilFixture.Ether);
        var paid0 = await FrontRunAsync(channel, 0, victim0, griefer, held => half.Subtract(held), Amount.FromWei(1));
        paid0 += await FrontRunAsync(channel, 0, victim0, griefer, held => channel.Funding0.Subtract(held), Amount.FromWei(1));
        var paid1 = await FrontRunAsync(channel, 1, victim1, griefer, held => channel.Funding1.Subtract(held), Amount.FromWei(1));

        var view = await victim0.GetChannelAsync(channel);
        Assert.Equal(channel.Funding0, view.Held0);
        Assert.Equal(channel.Funding1, view.Held1);
        Assert.True(view.IsFunded(channel));
        Assert.Equal(channel.Funding0.ToBigInteger() - 2, paid0); // two deposits, each 1 wei short
        Assert.Equal(channel.Funding1.ToBigInteger() - 1, paid1);
    }

    /// <summary>The griefer deposits more than the victim's whole funding first: the victim's deposit credits nothing, refunds everything, and the channel is funded.</summary>
    [Fact]
    public async Task DepositAsync_GrieferDepositsTheWholeFundingFirst_VictimPaysOnlyGasAndChannelIsFunded()
    {
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, AnvilFixture.Ether, AnvilFixture.Ether);
        var victim = await fx.ConnectAsync(fx.Keys[1]);
        var griefer = await fx.ConnectAsync(fx.Keys[7]);

        var paid = await FrontRunAsync(channel, 0, victim, griefer, held => channel.Funding0.Subtract(held), channel.Funding0.Add(Amount.FromWei(5)));

        Assert.Equal(BigInteger.Zero, paid);
        Assert.Equal(channel.Funding0.Add(Amount.FromWei(5)), (await victim.GetChannelAsync(channel)).Held0);
    }

    /// <summary>
    /// The victim reads its participant's holdings, the griefer's deposit of <paramref name="grief"/> lands,
    /// then the victim deposits <paramref name="amountFor"/>(what it read) with the holdings it read. Returns what
    /// the victim's account paid besides gas (its balance change less the fee of its receipt), in wei.
    /// </summary>
    private async Task<BigInteger> FrontRunAsync(
        ChannelParams channel, int index, EthereumAdjudicator victim, EthereumAdjudicator griefer, Func<Amount, Amount> amountFor, Amount grief)
    {
        var view = await victim.GetChannelAsync(channel);
        var seen = index == 0 ? view.Held0 : view.Held1;
        await griefer.DepositAsync(channel, index, seen, grief);
        var before = await fx.BalanceAsync(victim.Account);
        await victim.DepositAsync(channel, index, seen, amountFor(seen));
        var receipt = fx.Receipts.Last(r => r.Operation == "Adjudicator.deposit").Receipt;
        Assert.Equal(victim.Account.ToString().ToLowerInvariant(), receipt.From.ToLowerInvariant());
        return before - await fx.BalanceAsync(victim.Account) - AnvilFixture.Fee(receipt);
    }

    [Fact]
    public async Task ChallengeDurationFloor_DeployedContract_AgreesWithChannelParams()
    {
        var adjudicator = await fx.ConnectAsync(fx.Keys[3]);
        var floor = await adjudicator.QueryAsync<AdjudicatorBindings.MinChallengeDurationFunction, BigInteger>(
            "MIN_CHALLENGE_DURATION", new(), Nethereum.RPC.Eth.DTOs.BlockParameter.CreateLatest(), CancellationToken.None);
        Assert.Equal(new BigInteger(ChannelParams.MinChallengeDurationSeconds), floor);

        // The contract accepts (an eth_call of deposit) exactly the durations ChannelParams.IsValid accepts.
        foreach (var seconds in new ulong[] { 0, 1, 59, 60, 61, 3600, ChannelParams.MaxChallengeDurationSeconds, ChannelParams.MaxChallengeDurationSeconds + 1 })
        {
            var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1, 1, challengeSeconds: seconds);
            var data = new AdjudicatorBindings.DepositFunction { P = AbiConvert.ToAbi(channel), Idx = 0, ExpectedHeld = 0, Amount = 1 }.GetCallData();
            bool accepted;
            try
            {
                await fx.Node.RpcAsync("eth_call", new Dictionary<string, string>
                {
                    ["from"] = fx.Keys[3].Address.ToString(),
                    ["to"] = fx.Adjudicator.ToString(),
                    ["data"] = AbiConvert.ToHex(data),
                    ["value"] = "0x1",
                }, "latest");
                accepted = true;
            }
            catch (InvalidOperationException e)
            {
                var invalidParams = AdjudicatorBindings.AdjudicatorAbi.Errors.Single(x => x.Value.Name == "InvalidParams").Key;
                Assert.Contains(invalidParams, e.Message, StringComparison.OrdinalIgnoreCase);
                accepted = false;
            }

            Assert.True(accepted == channel.IsValid(out _), $"{seconds} s: contract {(accepted ? "accepts" : "rejects")}, ChannelParams disagrees");
        }
    }

    [Fact]
    public async Task CloseAsync_FinalStateSignedByBoth_PaysBothToTheWeiAndConcludes()
    {
        var channel = await OpenFundedEthChannelAsync(2 * AnvilFixture.Ether, AnvilFixture.Ether);
        var id = Eip712.ComputeChannelId(fx.Domain, channel);
        var balance0 = (AnvilFixture.Ether / 2) + 1;
        var final = fx.SignBoth(
            new ChannelState(id, 12, Amount.FromWei(balance0), Amount.FromWei((3 * AnvilFixture.Ether) - balance0), IsFinal: true), _alice, _bob);

        var submitter = await fx.ConnectAsync(fx.Keys[3]);
        await submitter.CloseAsync(channel, final);

        Assert.Equal(balance0, await fx.BalanceAsync(_alice.Address));
        Assert.Equal((3 * AnvilFixture.Ether) - balance0, await fx.BalanceAsync(_bob.Address));
        var view = await submitter.GetChannelAsync(channel);
        Assert.True(view.Concluded);
        Assert.Equal(Amount.Zero, view.Held0);
        Assert.Equal(Amount.Zero, view.Held1);
        output.WriteLine($"gas: close ETH {fx.LastGas("Adjudicator.close")}");

        await submitter.CloseAsync(channel, final); // answered from the journal: already confirmed
        var elsewhere = await fx.ConnectAsync(fx.Keys[3]);
        var again = await Assert.ThrowsAsync<StateChannelException>(async () => await elsewhere.CloseAsync(channel, final));
        Assert.StartsWith("ChannelConcluded", again.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CloseAsync_StateNotFinal_ThrowsTransactionFailedNamedNotFinal()
    {
        var channel = await OpenFundedEthChannelAsync(AnvilFixture.Ether, AnvilFixture.Ether);
        var id = Eip712.ComputeChannelId(fx.Domain, channel);
        var state = fx.SignBoth(new ChannelState(id, 3, channel.Funding0, channel.Funding1, IsFinal: false), _alice, _bob);

        var e = await Assert.ThrowsAsync<StateChannelException>(
            async () => await (await fx.ConnectAsync(fx.Keys[3])).CloseAsync(channel, state));

        Assert.Equal(ErrorCode.TransactionFailed, e.Code);
        Assert.StartsWith("NotFinal", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CloseAsync_SecondSignatureByAnotherKey_ThrowsTransactionFailedNamedInvalidSignature()
    {
        var channel = await OpenFundedEthChannelAsync(AnvilFixture.Ether, AnvilFixture.Ether);
        var id = Eip712.ComputeChannelId(fx.Domain, channel);
        using var mallory = PrivateKey.Create();
        var forged = fx.SignBoth(new ChannelState(id, 3, Amount.Zero, channel.GetTotal(), IsFinal: true), _alice, mallory);

        var e = await Assert.ThrowsAsync<StateChannelException>(
            async () => await (await fx.ConnectAsync(fx.Keys[3])).CloseAsync(channel, forged));

        Assert.Equal(ErrorCode.TransactionFailed, e.Code);
        Assert.StartsWith("InvalidSignature", e.Message, StringComparison.Ordinal);
        Assert.Contains("idx: 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegisterAsync_RefutedByHigherVersion_DeadlineStaysAndConcludePaysTheLatest()
    {
        var channel = await OpenFundedEthChannelAsync(AnvilFixture.Ether, AnvilFixture.Ether);
        var id = Eip712.ComputeChannelId(fx.Domain, channel);
        var total = 2 * AnvilFixture.Ether;
        SignedState At(ulong version, BigInteger balance0) =>
            fx.SignBoth(new ChannelState(id, version, Amount.FromWei(balance0), Amount.FromWei(total - balance0), IsFinal: false), _alice, _bob);
        var mallory = await fx.ConnectAsync(fx.Keys[1]); // registers an old state that favours participant 0
        var watcher = await fx.ConnectAsync(fx.Keys[2]); // answers with the latest

        await mallory.RegisterAsync(channel, At(1, total));
        var registered = await watcher.GetChannelAsync(channel);
        Assert.Equal(1UL, registered.RegisteredVersion);
        var deadline = Assert.NotNull(registered.Deadline);

        await mallory.RegisterAsync(channel, At(1, total)); // the registered state again: a no-op
        await watcher.RegisterAsync(channel, At(5, AnvilFixture.Ether / 4));
        var refuted = await watcher.GetChannelAsync(channel);
        Assert.Equal(5UL, refuted.RegisteredVersion);
        Assert.Equal(deadline, refuted.Deadline);

        var stale = await Assert.ThrowsAsync<StateChannelException>(async () => await mallory.RegisterAsync(channel, At(4, total)));
        Assert.StartsWith("StaleVersion", stale.Message, StringComparison.Ordinal);
        var early = await Assert.ThrowsAsync<StateChannelException>(async () => await mallory.ConcludeAsync(channel));
        Assert.StartsWith("ChallengeNotExpired", early.Message, StringComparison.Ordinal);

        await fx.Node.IncreaseTimeAsync(TimeSpan.FromSeconds(channel.ChallengeDurationSeconds));
        var late = await Assert.ThrowsAsync<StateChannelException>(async () => await mallory.RegisterAsync(channel, At(6, total)));
        Assert.StartsWith("ChallengeExpired", late.Message, StringComparison.Ordinal);

        await watcher.ConcludeAsync(channel);
        Assert.Equal(AnvilFixture.Ether / 4, await fx.BalanceAsync(_alice.Address));
        Assert.Equal(total - (AnvilFixture.Ether / 4), await fx.BalanceAsync(_bob.Address));
        var concluded = await watcher.GetChannelAsync(channel);
        Assert.True(concluded.Concluded);
        Assert.Null(concluded.RegisteredVersion);
        output.WriteLine(
            $"gas: register {fx.Receipts.First(r => r.Operation == "Adjudicator.register").Receipt.GasUsed.Value}, " +
            $"refute {fx.LastGas("Adjudicator.register")}, conclude {fx.LastGas("Adjudicator.conclude")}");
    }

    [Fact]
    public async Task WithdrawAsync_PayoutToRecipientThatReverts_IsCreditedThenWithdrawn()
    {
        var channel = await OpenFundedEthChannelAsync(AnvilFixture.Ether, AnvilFixture.Ether);
        var id = Eip712.ComputeChannelId(fx.Domain, channel);
        var final = fx.SignBoth(new ChannelState(id, 2, Amount.FromWei(AnvilFixture.Ether / 2), Amount.FromWei(AnvilFixture.Ether * 3 / 2), IsFinal: true), _alice, _bob);

        // Bob's address rejects ETH (PUSH0 PUSH0 REVERT): his payout must become a credit, Alice's must arrive.
        await fx.Node.RpcAsync("anvil_setCode", _bob.Address.ToString(), "0x5f5ffd");
        var submitter = await fx.ConnectAsync(fx.Keys[3]);
        await submitter.CloseAsync(channel, final);

        Assert.Equal(AnvilFixture.Ether / 2, await fx.BalanceAsync(_alice.Address));
        Assert.Equal(BigInteger.Zero, await fx.BalanceAsync(_bob.Address));
        Assert.Equal(Amount.FromWei(AnvilFixture.Ether * 3 / 2), await submitter.GetCreditAsync(_bob.Address, EthAddress.Zero));

        // Bob fixes his account (code removed) and gets ETH for gas; he withdraws with his own key.
        await fx.Node.RpcAsync("anvil_setCode", _bob.Address.ToString(), "0x");
        await fx.Node.RpcAsync("anvil_setBalance", _bob.Address.ToString(), "0xde0b6b3a7640000"); // 1 ETH
        var bob = await fx.ConnectAsync(_bob);
        await bob.WithdrawAsync(EthAddress.Zero);

        var receipt = fx.Receipts.Last(r => r.Operation == "Adjudicator.withdraw").Receipt;
        Assert.Equal(AnvilFixture.Ether + (AnvilFixture.Ether * 3 / 2) - AnvilFixture.Fee(receipt), await fx.BalanceAsync(_bob.Address));
        Assert.Equal(Amount.Zero, await bob.GetCreditAsync(_bob.Address, EthAddress.Zero));
        output.WriteLine($"gas: close with one credited payout {fx.LastGas("Adjudicator.close")}, withdraw {fx.LastGas("Adjudicator.withdraw")}");

        var nothing = await Assert.ThrowsAsync<StateChannelException>(async () => await bob.WithdrawAsync(EthAddress.Zero));
        Assert.Equal(ErrorCode.TransactionFailed, nothing.Code);
        Assert.StartsWith("NothingToWithdraw", nothing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DepositAsync_AccountCannotPay_ThrowsTransactionFailedAndNextSendStillWorks()
    {
        using var broke = PrivateKey.Create();
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000);
        var funder = await fx.ConnectAsync(broke);

        var e = await Assert.ThrowsAsync<StateChannelException>(async () => await funder.DepositAsync(channel, 0, Amount.Zero, 1_000));
        output.WriteLine(e.Message);
        Assert.Equal(ErrorCode.TransactionFailed, e.Code);

        // The failed attempt left the account usable (no nonce taken).
        await fx.Node.RpcAsync("anvil_setBalance", broke.Address.ToString(), "0xde0b6b3a7640000");
        await funder.DepositAsync(channel, 0, Amount.Zero, 1_000);
        Assert.Equal(new Amount(1_000), (await funder.GetChannelAsync(channel)).Held0);
    }

    [Fact]
    public async Task GetChannelAsync_UnknownChannel_ReadsEmpty()
    {
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1, 1);
        var view = await (await fx.ConnectAsync(fx.Keys[3])).GetChannelAsync(channel);
        Assert.Equal(new OnChainChannel(Amount.Zero, Amount.Zero, null, null, false), view);
    }

    [Fact]
    public async Task DepositAsync_CancelledBefore_ThrowsOperationCanceledAndSendsNothing()
    {
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1, 1);
        var funder = await fx.ConnectAsync(fx.Keys[4]);
        var nonce = await fx.Node.RpcAsync("eth_getTransactionCount", funder.Account.ToString(), "pending");
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await funder.DepositAsync(channel, 0, Amount.Zero, 1, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await funder.GetChannelAsync(channel, cts.Token));

        Assert.Equal((string?)nonce, (string?)await fx.Node.RpcAsync("eth_getTransactionCount", funder.Account.ToString(), "pending"));
    }

    [Fact]
    public async Task DepositAsync_InvalidArguments_ThrowBeforeAnyRpc()
    {
        var funder = new EthereumAdjudicator(new Uri("http://127.0.0.1:1"), fx.Domain, fx.Keys[4]);
        var valid = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1, 1);
        var invalid = AnvilFixture.NewChannel(_alice.Address, _alice.Address, 1, 1);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await funder.DepositAsync(valid, 2, Amount.Zero, 1));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await funder.DepositAsync(null!, 0, Amount.Zero, 1));
        var e = await Assert.ThrowsAsync<StateChannelException>(async () => await funder.DepositAsync(invalid, 0, Amount.Zero, 1));
        Assert.Equal(ErrorCode.InvalidParams, e.Code);
    }

    [Fact]
    public async Task Operations_UnreachableRpc_ThrowChainRpcFailure()
    {
        var nowhere = new Uri("http://127.0.0.1:1"); // nothing listens on port 1
        var connect = await Assert.ThrowsAsync<StateChannelException>(
            () => EthereumAdjudicator.ConnectAsync(nowhere, fx.Adjudicator, fx.Keys[4], AnvilFixture.FastOptions()));
        Assert.Equal(ErrorCode.ChainRpcFailure, connect.Code);

        var offline = new EthereumAdjudicator(nowhere, fx.Domain, fx.Keys[4], AnvilFixture.FastOptions());
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1, 1);
        var deposit = await Assert.ThrowsAsync<StateChannelException>(async () => await offline.DepositAsync(channel, 0, Amount.Zero, 1));
        Assert.Equal(ErrorCode.ChainRpcFailure, deposit.Code);
        var read = await Assert.ThrowsAsync<StateChannelException>(async () => await offline.GetChannelAsync(channel));
        Assert.Equal(ErrorCode.ChainRpcFailure, read.Code);
        var deploy = await Assert.ThrowsAsync<StateChannelException>(
            () => EthereumAdjudicator.DeployAsync(nowhere, fx.Keys[4], AnvilFixture.FastOptions()));
        Assert.Equal(ErrorCode.ChainRpcFailure, deploy.Code);
    }

    [Fact]
    public async Task ConnectAsync_AddressWithoutAdjudicator_ThrowsChainRpcFailure()
    {
        var token = await Assert.ThrowsAsync<StateChannelException>(
            () => EthereumAdjudicator.ConnectAsync(fx.RpcUrl, fx.Token, fx.Keys[4], AnvilFixture.FastOptions()));
        Assert.Equal(ErrorCode.ChainRpcFailure, token.Code);
        var empty = await Assert.ThrowsAsync<StateChannelException>(
            () => EthereumAdjudicator.ConnectAsync(fx.RpcUrl, _alice.Address, fx.Keys[4], AnvilFixture.FastOptions()));
        Assert.Equal(ErrorCode.ChainRpcFailure, empty.Code);
    }

    [Fact]
    public async Task DeployAsync_FreshDeployment_HasCodeAndItsOwnDomain()
    {
        var address = await EthereumAdjudicator.DeployAsync(fx.RpcUrl, fx.Keys[5], AnvilFixture.FastOptions());
        var connected = await EthereumAdjudicator.ConnectAsync(fx.RpcUrl, address, fx.Keys[5], AnvilFixture.FastOptions());
        Assert.NotEqual(fx.Adjudicator, address);
        Assert.Equal(new Eip712Domain(fx.Node.ChainId, address), connected.Domain);
        Assert.Equal(fx.Keys[5].Address, connected.Account);
    }

    /// <summary>Anvil accounts 1 and 2 deposit the fundings for the fresh channel keys.</summary>
    private async Task<ChannelParams> OpenFundedEthChannelAsync(BigInteger funding0, BigInteger funding1)
    {
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, funding0, funding1);
        await (await fx.ConnectAsync(fx.Keys[1])).DepositAsync(channel, 0, Amount.Zero, channel.Funding0);
        await (await fx.ConnectAsync(fx.Keys[2])).DepositAsync(channel, 1, Amount.Zero, channel.Funding1);
        return channel;
    }
}

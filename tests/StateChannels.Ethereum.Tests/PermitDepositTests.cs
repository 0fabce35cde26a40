using System.Numerics;
using Microsoft.Extensions.Logging;
using Nethereum.Contracts;
using StateChannels.TestKit.Bindings.PermitToken;
using RevertingPermitTokenDeployment = StateChannels.TestKit.Bindings.RevertingPermitToken.RevertingPermitTokenDeployment;
using StateChannels.Testing;
using Xunit.Abstractions;
using static StateChannels.Ethereum.Tests.Transactions.ChainProbe;

namespace StateChannels.Ethereum.Tests;

/// <summary>
/// ERC-20 deposits by EIP-2612 permit on anvil (issue 5): an OpenZeppelin ERC20Permit token
/// (contracts/test/mocks/PermitToken.sol) is funded by permit + deposit, and accepting our signature
/// is the cross-check of the C# digest against OpenZeppelin's; a plain token, a token whose permit
/// reverts, and <see cref="EthereumAdjudicatorOptions.UsePermit"/> = false approve instead. Each test
/// uses its own anvil account, so its transaction count tells what it sent.
/// </summary>
public sealed class PermitDepositTests(AnvilFixture fx, ITestOutputHelper output) : IClassFixture<AnvilFixture>, IDisposable
{
    private readonly PrivateKey _alice = PrivateKey.Create();
    private readonly PrivateKey _bob = PrivateKey.Create();

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
    }

    [Fact]
    public async Task DepositAsync_PermitToken_SendsPermitAndDepositWithoutApprove()
    {
        var token = await DeployAsync(new PermitTokenDeployment(), "PermitToken deployment");
        var key = fx.Keys[1];
        await MintAsync(token, key.Address, 1_000);
        var (funder, operations) = await ConnectAsync(key);
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 700, 0, asset: token);
        var n0 = await NonceAsync(fx.Node, key.Address);

        await funder.DepositAsync(channel, 0, Amount.Zero, 400);
        await funder.DepositAsync(channel, 0, 400, 300);

        Assert.Equal(["ERC20.permit", "Adjudicator.deposit", "ERC20.permit", "Adjudicator.deposit"], operations.Select(o => o.Operation));
        Assert.Equal(n0 + 4, await NonceAsync(fx.Node, key.Address));
        var view = await funder.GetChannelAsync(channel);
        Assert.Equal(new Amount(700), view.Held0);
        Assert.Equal(new BigInteger(2), await ReadAsync(token, new NoncesFunction { Owner = key.Address.ToString() }));
        Assert.Equal(BigInteger.Zero, await ReadAsync(token, new AllowanceFunction { Owner = key.Address.ToString(), Spender = fx.Adjudicator.ToString() }));
        Assert.Equal(new BigInteger(700), await ReadAsync(token, new BalanceOfFunction { Account = fx.Adjudicator.ToString() }));

        // The same token by approve, for the gas comparison.
        var approver = fx.Keys[2];
        await MintAsync(token, approver.Address, 1_000);
        var (approving, approveOps) = await ConnectAsync(approver, new() { UsePermit = false });
        var channel2 = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 400, 0, asset: token);
        await approving.DepositAsync(channel2, 0, Amount.Zero, 400);
        Assert.Equal(["ERC20.approve", "Adjudicator.deposit"], approveOps.Select(o => o.Operation));

        output.WriteLine(
            $"gas: permit first {operations[0].Gas}, permit second {operations[2].Gas}, deposit after permit {operations[1].Gas}; " +
            $"top-up deposit after permit {operations[3].Gas}; approve {approveOps[0].Gas}, deposit after approve {approveOps[1].Gas} (same PermitToken)");
    }

    [Fact]
    public async Task DepositAsync_PlainTestToken_ApprovesAndDeposits()
    {
        var key = fx.Keys[3];
        await fx.MintAsync(key.Address, 1_000);
        var (funder, operations) = await ConnectAsync(key);
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 500, 0, asset: fx.Token);

        await funder.DepositAsync(channel, 0, Amount.Zero, 500);

        Assert.Equal(["ERC20.approve", "Adjudicator.deposit"], operations.Select(o => o.Operation));
        Assert.Equal(new Amount(500), (await funder.GetChannelAsync(channel)).Held0);
    }

    [Fact]
    public async Task DepositAsync_PermitReverts_FallsBackToApproveAndStopsTryingPermit()
    {
        var token = await DeployAsync(new RevertingPermitTokenDeployment(), "RevertingPermitToken deployment");
        var key = fx.Keys[4];
        await MintAsync(token, key.Address, 1_000);
        var events = new EventRecorder();
        var (funder, operations) = await ConnectAsync(key, new() { Logger = events });
        var signed = new List<string>();
        funder.Transactions.Signed = (operation, _) => signed.Add(operation);
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 600, 0, asset: token);
        var n0 = await NonceAsync(fx.Node, key.Address);

        await funder.DepositAsync(channel, 0, Amount.Zero, 300);
        await funder.DepositAsync(channel, 0, 300, 300);

        // The permit reverts at estimation: nothing signed for it, two approves and two deposits mined.
        Assert.Equal(["ERC20.approve", "Adjudicator.deposit", "ERC20.approve", "Adjudicator.deposit"], operations.Select(o => o.Operation));
        Assert.DoesNotContain("ERC20.permit", signed);
        Assert.Single(events.Ids, id => id == 2012); // refused once, then remembered: the second deposit approves at once
        Assert.Equal(n0 + 4, await NonceAsync(fx.Node, key.Address));
        Assert.Equal(new Amount(600), (await funder.GetChannelAsync(channel)).Held0);
    }

    [Fact]
    public async Task DepositAsync_CrashAfterPermitJournaled_ResumesTheSamePermitOnce()
    {
        var token = await DeployAsync(new PermitTokenDeployment(), "PermitToken deployment");
        var key = fx.Keys[5];
        await MintAsync(token, key.Address, 1_000);
        var journal = new InMemoryChannelStore();
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 250, 0, asset: token);
        var n0 = await NonceAsync(fx.Node, key.Address);

        // "Crash" once the permit is signed and journaled, before it reaches the node.
        var (crashing, _) = await ConnectAsync(key, journal: journal);
        Hash32? journaled = null;
        crashing.Transactions.Signed = (operation, attempt) =>
        {
            journaled = attempt.Hash;
            throw new InvalidOperationException("simulated crash at tx.journaled");
        };
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await crashing.DepositAsync(channel, 0, Amount.Zero, 250));
        Assert.Equal(n0, await NonceAsync(fx.Node, key.Address, "pending"));

        var (restarted, operations) = await ConnectAsync(key, journal: journal);
        await restarted.DepositAsync(channel, 0, Amount.Zero, 250);

        Assert.Equal(["ERC20.permit", "Adjudicator.deposit"], operations.Select(o => o.Operation));
        Assert.Equal(journaled.ToString(), operations[0].Hash);
        Assert.Equal(n0 + 2, await NonceAsync(fx.Node, key.Address));
        Assert.Equal(new Amount(250), (await restarted.GetChannelAsync(channel)).Held0);
    }

    [Fact]
    public async Task DepositAsync_PermitFrontRunByAnotherSender_RevertsYetDepositsWithoutApprove()
    {
        var token = await DeployAsync(new PermitTokenDeployment(), "PermitToken deployment");
        var key = fx.Keys[6];
        await MintAsync(token, key.Address, 1_000);
        var (funder, operations) = await ConnectAsync(key);
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 350, 0, asset: token);
        var n0 = await NonceAsync(fx.Node, key.Address);

        // Someone copies our permit's call data from the mempool and gets it mined first (from account 7):
        // our permit then reverts on chain (the nonce is used), yet the allowance is set.
        var frontRunner = new EthereumAdjudicator(fx.RpcUrl, fx.Domain, fx.Keys[7], AnvilFixture.FastOptions());
        funder.Transactions.Signed = (operation, attempt) =>
        {
            if (operation == "ERC20.permit")
            {
                var data = ((Nethereum.Model.Transaction1559)Nethereum.Model.TransactionFactory.CreateTransaction(attempt.Raw)).Data;
                var callData = Convert.FromHexString(data.StartsWith("0x", StringComparison.Ordinal) ? data[2..] : data);
                frontRunner.Transactions.SendAsync("front-run permit", token, callData, BigInteger.Zero, CancellationToken.None)
                    .GetAwaiter().GetResult();
            }
        };

        await funder.DepositAsync(channel, 0, Amount.Zero, 350);

        Assert.Equal(["Adjudicator.deposit"], operations.Select(o => o.Operation));
        Assert.Equal(n0 + 2, await NonceAsync(fx.Node, key.Address));
        Assert.Equal(new Amount(350), (await funder.GetChannelAsync(channel)).Held0);
    }

    private async Task<(EthereumAdjudicator Adjudicator, List<(string Operation, ulong Gas, string Hash)> Operations)> ConnectAsync(
        PrivateKey key, EthereumAdjudicatorOptions? options = null, ITransactionJournal? journal = null)
    {
        var fast = AnvilFixture.FastOptions();
        fast.UsePermit = options?.UsePermit ?? true;
        fast.Logger = options?.Logger ?? fast.Logger;
        var adjudicator = await EthereumAdjudicator.ConnectAsync(fx.RpcUrl, fx.Adjudicator, key, fast, journal);
        var operations = new List<(string, ulong, string)>();
        adjudicator.Transactions.Confirmed = (operation, receipt) =>
        {
            lock (operations)
            {
                operations.Add((operation, (ulong)receipt.GasUsed.Value, receipt.TransactionHash));
            }
        };
        return (adjudicator, operations);
    }

    private async Task<EthAddress> DeployAsync<TDeployment>(TDeployment deployment, string operation)
        where TDeployment : ContractDeploymentMessage, new() =>
        (await EthereumAdjudicator.DeployContractAsync(
            fx.RpcUrl, fx.Keys[0], deployment, operation, AnvilFixture.FastOptions().ValidateAndCopy(), CancellationToken.None)).Address;

    private async Task MintAsync(EthAddress token, EthAddress to, BigInteger amount)
    {
        var minter = new EthereumAdjudicator(fx.RpcUrl, fx.Domain, fx.Keys[0], AnvilFixture.FastOptions());
        await minter.Transactions.SendAsync(
            "PermitToken.mint", token, new MintFunction { To = to.ToString(), Amount = amount }.GetCallData(), BigInteger.Zero, CancellationToken.None);
    }

    private async Task<BigInteger> ReadAsync<TFunction>(EthAddress token, TFunction function)
        where TFunction : FunctionMessage, new() =>
        await new Nethereum.Web3.Web3(fx.RpcUrl.ToString()).Eth.GetContractQueryHandler<TFunction>().QueryAsync<BigInteger>(token.ToString(), function);

    /// <summary>Records the event ids logged.</summary>
    private sealed class EventRecorder : ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<int> _ids = new();

        public IEnumerable<int> Ids => _ids;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _ids.Enqueue(eventId.Id);
    }
}

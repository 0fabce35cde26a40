using System.Globalization;
using System.Numerics;
using System.Reflection;
using System.Security.Cryptography;
using StateChannels.Ethereum.Internal;
using StateChannels.Storage.LiteDb;
using StateChannels.TestKit;
using Xunit.Abstractions;
using static StateChannels.Ethereum.Tests.Transactions.ChainProbe;

namespace StateChannels.Ethereum.Tests.Transactions;

/// <summary>
/// kill -9 of the client during register and during withdraw (THREATS C6, C7): a StateChannels.TxHost
/// process with a LiteDB journal dies at a crash point of the transaction manager (signed and
/// journaled but not broadcast; broadcast but its receipt not awaited), is restarted with the same
/// file and the same call, and completes it — with exactly one transaction on chain.
/// </summary>
public sealed class ProcessKillTests(AnvilFixture fx, ITestOutputHelper output) : IClassFixture<AnvilFixture>, IDisposable
{
    private static readonly string HostDll = typeof(ProcessKillTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TxHostDll").Value!;

    private readonly string _directory = Directory.CreateTempSubdirectory("sc-kill-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("tx.journaled", 1)]
    [InlineData("tx.broadcast", 6)]
    public async Task Register_KilledAtCrashPointThenRestarted_CompletesWithOneTransaction(string crashPoint, int account)
    {
        var (key0, key0Hex) = NewKey();
        var (key1, key1Hex) = NewKey();
        using (key0)
        using (key1)
        {
            var txKeyHex = fx.Node.PrivateKeys[account];
            var txAccount = PrivateKey.Parse(txKeyHex).Address;
            var channel = AnvilFixture.NewChannel(key0.Address, key1.Address, 1_000, 1_000);
            var funder = await fx.ConnectAsync(fx.Keys[2]);
            await funder.DepositAsync(channel, 0, Amount.Zero, 1_000);
            await funder.DepositAsync(channel, 1, Amount.Zero, 1_000);
            var db = Path.Combine(_directory, $"register-{crashPoint}.db");
            string[] args =
            [
                "register", fx.RpcUrl.ToString(), fx.Adjudicator.ToString(), txKeyHex, db, key0Hex, key1Hex, channel.Nonce.ToString(),
                "1000", "1000", channel.ChallengeDurationSeconds.ToString(CultureInfo.InvariantCulture), "3", "600", "1400",
            ];
            var n0 = await NonceAsync(fx.Node, txAccount);

            var killed = await RunHostAsync(args, crashPoint);
            Assert.NotEqual(0, killed.ExitCode);
            Assert.Contains($"killing the process at {crashPoint}", killed.StdErr, StringComparison.Ordinal);
            Assert.Equal(crashPoint == "tx.journaled" ? n0 : n0 + 1, await NonceAsync(fx.Node, txAccount, "pending"));
            var journaled = await JournaledHashAsync(db);

            var restarted = await RunHostAsync(args, crashAt: null);
            Assert.True(restarted.ExitCode == 0, restarted.Output);
            Assert.Contains("done", restarted.StdOut, StringComparison.Ordinal);

            Assert.Equal(n0 + 1, await NonceAsync(fx.Node, txAccount));
            Assert.Equal(n0 + 1, await NonceAsync(fx.Node, txAccount, "pending"));
            Assert.Equal(3UL, (await funder.GetChannelAsync(channel)).RegisteredVersion);
            Assert.True(await IsMinedAsync(fx.Node, journaled), "the restarted process sent another transaction than the journaled one");
        }
    }

    [Theory]
    [InlineData("tx.journaled")]
    [InlineData("tx.broadcast")]
    public async Task Withdraw_KilledAtCrashPointThenRestarted_WithdrawsOnceWithOneTransaction(string crashPoint)
    {
        var (alice, _) = NewKey();
        var (bob, bobHex) = NewKey();
        using (alice)
        using (bob)
        {
            // Bob's payout fails (his address rejects ETH), so it becomes a credit he withdraws.
            var channel = AnvilFixture.NewChannel(alice.Address, bob.Address, AnvilFixture.Ether, AnvilFixture.Ether);
            var funder = await fx.ConnectAsync(fx.Keys[3]);
            await funder.DepositAsync(channel, 0, Amount.Zero, channel.Funding0);
            await funder.DepositAsync(channel, 1, Amount.Zero, channel.Funding1);
            var id = Eip712.ComputeChannelId(fx.Domain, channel);
            var final = fx.SignBoth(new ChannelState(id, 2, Amount.FromWei(AnvilFixture.Ether / 2), Amount.FromWei(AnvilFixture.Ether * 3 / 2), IsFinal: true), alice, bob);
            await fx.Node.RpcAsync("anvil_setCode", bob.Address.ToString(), "0x5f5ffd");
            await funder.CloseAsync(channel, final);
            await fx.Node.RpcAsync("anvil_setCode", bob.Address.ToString(), "0x");
            await fx.Node.RpcAsync("anvil_setBalance", bob.Address.ToString(), "0xde0b6b3a7640000"); // 1 ETH for gas
            Assert.Equal(Amount.FromWei(AnvilFixture.Ether * 3 / 2), await funder.GetCreditAsync(bob.Address, EthAddress.Zero));

            var db = Path.Combine(_directory, $"withdraw-{crashPoint}.db");
            string[] args = ["withdraw", fx.RpcUrl.ToString(), fx.Adjudicator.ToString(), bobHex, db];

            var killed = await RunHostAsync(args, crashPoint);
            Assert.NotEqual(0, killed.ExitCode);
            Assert.Contains($"killing the process at {crashPoint}", killed.StdErr, StringComparison.Ordinal);
            var journaled = await JournaledHashAsync(db);

            var restarted = await RunHostAsync(args, crashAt: null);
            Assert.True(restarted.ExitCode == 0, restarted.Output);

            Assert.True(await IsMinedAsync(fx.Node, journaled), "the restarted process sent another transaction than the journaled one");
            Assert.Equal(1UL, await NonceAsync(fx.Node, bob.Address));
            Assert.Equal(Amount.Zero, await funder.GetCreditAsync(bob.Address, EthAddress.Zero));
            var balance = await fx.BalanceAsync(bob.Address);
            Assert.True(balance > AnvilFixture.Ether * 5 / 2 - AnvilFixture.Ether / 100 && balance < AnvilFixture.Ether * 5 / 2, $"balance {balance}");
        }
    }

    /// <summary>The one transaction the killed process journaled (its file is closed: the process is dead).</summary>
    private static async Task<Hash32> JournaledHashAsync(string db)
    {
        await using var store = LiteDbChannelStore.Open(db);
        var entries = new List<JournalEntry>();
        await foreach (var entry in store.GetEntriesAsync("eth-tx/"))
        {
            entries.Add(entry);
        }

        var record = TxRecordCodec.Decode(Assert.Single(entries).Value, entries[0].Key[(entries[0].Key.IndexOf("/0x", StringComparison.Ordinal) + 44)..]);
        Assert.Equal(TxStatus.Pending, record.Status);
        return Assert.Single(record.Attempts).Hash;
    }

    private async Task<ProcessResult> RunHostAsync(string[] args, string? crashAt)
    {
        Assert.True(File.Exists(HostDll), $"TxHost not built at {HostDll}");
        var environment = new Dictionary<string, string> { ["STATECHANNELS_CRASH_AT"] = crashAt ?? "" };
        var result = await ProcessRunner.RunAsync("dotnet", [HostDll, .. args], _directory, TimeSpan.FromMinutes(2), environment);
        output.WriteLine($"TxHost {args[0]} (crash at {crashAt ?? "none"}): exit {result.ExitCode}\n{result.Output}");
        return result;
    }

    private static (PrivateKey Key, string Hex) NewKey()
    {
        while (true)
        {
            var hex = "0x" + Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
            try
            {
                return (PrivateKey.Parse(hex), hex);
            }
            catch (FormatException)
            {
                // Out of the curve's range (about 2^-128): draw again.
            }
        }
    }
}

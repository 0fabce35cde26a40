using StateChannels.Ethereum;
using StateChannels.TestKit;

namespace StateChannels.Samples.Tests;

/// <summary>samples/Wallet as a user runs it: two processes over TCP, one killed with -9 and started again.</summary>
public sealed class WalletRecoveryTests : IAsyncLifetime
{
    private const string OneEth = "1000000000000000000";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("wallet-test-");
    private AnvilNode _anvil = null!;
    private EthAddress _adjudicator;

    public async Task InitializeAsync()
    {
        _anvil = await AnvilNode.StartAsync(accounts: 3);
        using var deployer = PrivateKey.Parse(_anvil.PrivateKeys[0]);
        _adjudicator = await EthereumAdjudicator.DeployAsync(_anvil.RpcUrl, deployer, new EthereumAdjudicatorOptions { PollInterval = TimeSpan.FromMilliseconds(50) });
    }

    public async Task DisposeAsync()
    {
        await _anvil.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    [Fact]
    public async Task Wallet_KilledAndRestarted_ReloadsItsChannelReconnectsAndKeepsPaying()
    {
        var (alice, aliceStart) = await WalletDriver.StartAsync([.. Common("alice"), "--listen", "127.0.0.1:0"], _anvil.PrivateKeys[1]);
        await using var aliceOwner = alice;
        var endpoint = (await alice.WaitAsync("ok listen", 0))["peer-address"];
        string[] bobArgs = [.. Common("bob"), "--connect", endpoint, "--peer", aliceStart["address"]];
        var (bob, bobStart) = await WalletDriver.StartAsync(bobArgs, _anvil.PrivateKeys[2]);
        Assert.Equal("0", bobStart["channels"]);

        // Open, and pay both ways.
        var bobFunded = bob.Mark;
        await alice.SendAsync($"open {OneEth} {OneEth}");
        await bob.WaitAsync("event funded", bobFunded);
        await alice.SendAsync("pay 1000 10 4");
        await bob.SendAsync("pay 500 4 2");

        // kill -9 Bob, start him again on the same files: the channel comes back from LiteDB and the
        // reestablish handshake on reconnect brings both to the same state.
        bob.Kill();
        var reconnected = alice.Mark;
        var (bob2, bob2Start) = await WalletDriver.StartAsync(bobArgs, _anvil.PrivateKeys[2]);
        await using var bobOwner = bob2;
        Assert.Equal("1", bob2Start["channels"]);
        await alice.WaitAsync("event connected", reconnected);
        Assert.Equal("True", (await bob2.SendAsync($"open {OneEth} {OneEth}"))["reused"]);

        await bob2.SendAsync("pay 7 3");
        await alice.SendAsync("pay 11 2");
        var expectedAlice = ulong.Parse(OneEth) - (10 * 1000) + (4 * 500) + (3 * 7) - (2 * 11);
        var aliceBalance = await alice.SendAsync("balance");
        Assert.Equal(expectedAlice.ToString(), aliceBalance["balance"]);

        // Bob stores the latest state when Alice's last signature arrives: wait for it, then compare.
        var bobBalance = await AtVersionAsync(bob2, aliceBalance["version"]);
        Assert.Equal(aliceBalance["balance"], bobBalance["peer-balance"]);

        // And the channel still closes normally.
        var closed = await alice.SendAsync("close");
        Assert.Equal(expectedAlice.ToString(), closed["balance"]);
    }

    [Fact]
    public async Task Wallet_ForceClose_RegistersLatestStateAndConcludesAfterTheChallengePeriod()
    {
        // The shortest challenge period the contract accepts (60 s); the chain's clock jumps over it below.
        var (alice, aliceStart) = await WalletDriver.StartAsync([.. Common("alice"), "--listen", "127.0.0.1:0", "--challenge", "60"], _anvil.PrivateKeys[1]);
        await using var aliceOwner = alice;
        var endpoint = (await alice.WaitAsync("ok listen", 0))["peer-address"];
        var (bob, _) = await WalletDriver.StartAsync([.. Common("bob"), "--connect", endpoint, "--peer", aliceStart["address"], "--min-challenge", "3"], _anvil.PrivateKeys[2]);
        await using var bobOwner = bob;
        var bobFunded = bob.Mark;
        await alice.SendAsync($"open {OneEth} {OneEth}");
        await bob.WaitAsync("event funded", bobFunded);
        var paid = await alice.SendAsync("pay 1000 5");
        await AtVersionAsync(bob, paid["version"]);

        // Bob closes alone: register, wait out 60 s of block time (anvil's clock moved once the
        // registration is on chain), conclude. Alice's watcher sees it too.
        var aliceClosed = alice.Mark;
        var bobDisputed = bob.Mark;
        var forceClose = bob.SendAsync("force-close");
        await bob.WaitAsync("event dispute-seen", bobDisputed);
        await _anvil.IncreaseTimeAsync(TimeSpan.FromSeconds(61));
        var closed = await forceClose;
        Assert.Equal(paid["version"], closed["version"]);
        await alice.WaitAsync("event closed", aliceClosed);
        Assert.Equal("Closed", (await alice.SendAsync("balance"))["phase"]);
    }

    /// <summary>The wallet's balance reply once it holds <paramref name="version"/>.</summary>
    private static async Task<Dictionary<string, string>> AtVersionAsync(WalletDriver wallet, string version)
    {
        for (var tries = 0; ; tries++)
        {
            var balance = await wallet.SendAsync("balance");
            if (balance["version"] == version || tries >= 100)
            {
                Assert.Equal(version, balance["version"]);
                return balance;
            }

            await Task.Delay(50);
        }
    }

    private string[] Common(string name) =>
    [
        "--name", name,
        "--db", Path.Combine(_dir.FullName, name + ".db"),
        "--key-file", Path.Combine(_dir.FullName, name + ".key"),
        "--rpc", _anvil.RpcUrl.ToString(),
        "--adjudicator", _adjudicator.ToString(),
    ];
}

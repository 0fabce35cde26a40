using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;
using StateChannels.Ethereum;
using StateChannels.Net;
using StateChannels.Testing;
using StateChannels.TestKit;

namespace StateChannels.Watchtower.Tests;

/// <summary>
/// "Mallory" against a victim whose own client is stopped (B1, B14), with the watchtower as a real
/// process on anvil: fed over TCP, it refutes and concludes; restarted mid-dispute, it catches up;
/// handed the victim's state only after it passed Mallory's registration, it still refutes (G2).
/// </summary>
public sealed partial class WatchtowerProcessTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sc-tower-" + Guid.NewGuid().ToString("N"));
    private AnvilNode _node = null!;
    private EthAddress _adjudicator;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _node = await AnvilNode.StartAsync();
        using var deployer = PrivateKey.Parse(_node.PrivateKeys[0]);
        _adjudicator = await EthereumAdjudicator.DeployAsync(_node.RpcUrl, deployer, ChainOptions());
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static EthereumAdjudicatorOptions ChainOptions() => new()
    {
        PollInterval = TimeSpan.FromMilliseconds(10),
        ReceiptTimeout = TimeSpan.FromSeconds(60),
    };

    private static StateChannelClientOptions ClientOptions() => new()
    {
        ChainPollInterval = TimeSpan.FromMilliseconds(20),
        MaxAcceptedFunding = new Amount(1_000_000),
    };

    private Task<TowerProcess> StartTowerAsync(string db) =>
        TowerProcess.StartAsync(_node.RpcUrl, _adjudicator, Path.Combine(_dir, db), _node.PrivateKeys[9], _node.PrivateKeys[3]);

    private Eip712Domain Domain => new(_node.ChainId, _adjudicator);

    private async Task<(StateChannelClient Client, EthereumAdjudicator Chain, IChannelStore Store)> ClientAsync(PrivateKey key, int account)
    {
        var txKey = PrivateKey.Parse(_node.PrivateKeys[account]);
        var chain = await EthereumAdjudicator.ConnectAsync(_node.RpcUrl, _adjudicator, txKey, ChainOptions());
        var events = new EthereumChainEventSource(_node.RpcUrl, _adjudicator, ChainOptions());
        var store = new InMemoryChannelStore();
        var client = await StateChannelClient.CreateAsync(ClientOptions(), new PrivateKeySigner(key), store, chain, events);
        return (client, chain, store);
    }

    private async Task<BigInteger> BalanceAsync(EthAddress account)
    {
        var hex = (string)(await _node.RpcAsync("eth_getBalance", account.ToString(), "latest"))!;
        return BigInteger.Parse("0" + hex[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<string> diagnostics)
    {
        var until = DateTime.UtcNow + Limit;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in time:\n" + diagnostics());
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// Alice opens 1000/1000 with Mallory, Mallory pays her 100 × 2, Alice's client feeds the tower
    /// over TCP until version 100 is acknowledged, then Alice's client stops. Returns the channel params.
    /// </summary>
    private async Task<ChannelParams> PayThenGoOfflineAsync(TowerProcess tower, PrivateKey alice, StateChannelClient mallory)
    {
        var (client, _, _) = await ClientAsync(alice, 1);
        await using (client)
        {
            var pair = InMemoryTransport.CreatePair(alice.Address, mallory.Address);
            using var peers = new CancellationTokenSource();
            var servedA = client.RunConnectionAsync(pair.First, peers.Token);
            var servedM = mallory.RunConnectionAsync(pair.Second, peers.Token);
            var channel = await client.OpenChannelAsync(mallory.Address, 1_000, 1_000).WaitAsync(Limit);
            var m = mallory.GetChannel(channel.Id);
            await WaitUntilAsync(() => Task.FromResult(m.Phase == ChannelPhase.Active), () => string.Empty);

            // The feeder: Alice's client dials the tower (pinning its address) and pushes every signed state.
            var dialer = new TcpChannelDialer(new PrivateKeySigner(alice), Domain);
            await using var connection = await dialer.ConnectAsync(tower.EndPoint, tower.Address);
            var feeder = new WatchtowerFeeder(client, connection);
            using var feeding = new CancellationTokenSource();
            var feed = feeder.RunAsync(feeding.Token);
            for (var i = 0; i < 100; i++)
            {
                await m.PayAsync(2).WaitAsync(Limit);
            }

            await WaitUntilAsync(() => Task.FromResult(channel.Latest!.State.Version == 100), () => string.Empty);
            await feeder.WhenAcknowledgedAsync(channel.Id, 100).WaitAsync(Limit);
            Assert.Equal(new Amount(1_200), channel.MyBalance);

            // Alice's client stops: no watcher, no connection, nothing of hers runs from here on.
            await feeding.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => feed);
            await peers.CancelAsync();
            await servedA;
            await servedM;
            return channel.Params;
        }
    }

    [Fact]
    public async Task TowerProcess_MalloryRegistersVersionZeroWhileVictimIsOffline_RefutesAndVictimGetsLatestBalance()
    {
        await using var tower = await StartTowerAsync("tower.db");
        using var alice = PrivateKey.Create();
        using var malloryKey = PrivateKey.Create();
        var (mallory, malloryChain, malloryStore) = await ClientAsync(malloryKey, 2);
        await using (mallory)
        {
            var p = await PayThenGoOfflineAsync(tower, alice, mallory);
            var id = Eip712.ComputeChannelId(malloryChain.Domain, p);

            // Mallory registers version 0, which gave her 1000 back.
            var v0 = await malloryStore.GetStateAsync(id, 0);
            await malloryChain.RegisterAsync(p, v0!);

            // The tower process refutes with version 100 ...
            await WaitUntilAsync(async () => (await malloryChain.GetChannelAsync(p)).RegisteredVersion == 100, () => tower.Output);

            // ... and after the deadline concludes: Alice gets her latest balance, to the wei.
            await _node.IncreaseTimeAsync(p.ChallengeDuration + TimeSpan.FromSeconds(1));
            await WaitUntilAsync(async () => (await malloryChain.GetChannelAsync(p)).Concluded, () => tower.Output);
            Assert.Equal(new BigInteger(1_200), await BalanceAsync(alice.Address));
            Assert.Equal(new BigInteger(800), await BalanceAsync(malloryKey.Address));
        }
    }

    [Fact]
    public async Task TowerProcess_VictimHandsOverItsStateAfterTheTowerPassedMallorysRegistration_RefutesAndVictimGetsLatestBalance()
    {
        await using var tower = await StartTowerAsync("tower-late.db");
        using var alice = PrivateKey.Create();
        using var malloryKey = PrivateKey.Create();
        var (mallory, malloryChain, malloryStore) = await ClientAsync(malloryKey, 2);
        await using (mallory)
        {
            var (client, _, _) = await ClientAsync(alice, 1);
            ChannelParams p;
            await using (client)
            {
                // Alice and Mallory open 1000/1000 and Mallory pays her 100 × 2; nothing goes to the tower yet.
                var pair = InMemoryTransport.CreatePair(alice.Address, mallory.Address);
                using var peers = new CancellationTokenSource();
                var servedA = client.RunConnectionAsync(pair.First, peers.Token);
                var servedM = mallory.RunConnectionAsync(pair.Second, peers.Token);
                var channel = await client.OpenChannelAsync(mallory.Address, 1_000, 1_000).WaitAsync(Limit);
                var m = mallory.GetChannel(channel.Id);
                await WaitUntilAsync(() => Task.FromResult(m.Phase == ChannelPhase.Active), () => string.Empty);
                for (var i = 0; i < 100; i++)
                {
                    await m.PayAsync(2).WaitAsync(Limit);
                }

                await WaitUntilAsync(() => Task.FromResult(channel.Latest!.State.Version == 100), () => string.Empty);
                p = channel.Params;

                // Mallory registers version 0; the tower, holding nothing of this channel, reads past
                // that block and polls a few more blocks (its cursor will never come back to it).
                await malloryChain.RegisterAsync(p, (await malloryStore.GetStateAsync(channel.Id, 0))!);
                var registeredAt = await _node.BlockNumberAsync();
                for (var i = 0UL; i <= 3; i++)
                {
                    await WaitUntilAsync(() => Task.FromResult(ProcessedUpTo(tower) >= registeredAt + i), () => tower.Output);
                    await _node.MineAsync();
                }

                Assert.DoesNotContain("now watched", tower.Output, StringComparison.Ordinal);

                // Only now does Alice's client hand its latest state to the tower; then it stops.
                var dialer = new TcpChannelDialer(new PrivateKeySigner(alice), Domain);
                await using var connection = await dialer.ConnectAsync(tower.EndPoint, tower.Address);
                var feeder = new WatchtowerFeeder(client, connection);
                using var feeding = new CancellationTokenSource();
                var feed = feeder.RunAsync(feeding.Token);
                await feeder.WhenAcknowledgedAsync(channel.Id, 100).WaitAsync(Limit);
                await feeding.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => feed);
                await peers.CancelAsync();
                await servedA;
                await servedM;
            }

            // The tower refutes with version 100 before the deadline (the contract refuses a refute after it) ...
            await WaitUntilAsync(async () => (await malloryChain.GetChannelAsync(p)).RegisteredVersion == 100, () => tower.Output);

            // ... and concludes after it: Alice gets her latest balance, to the wei.
            await _node.IncreaseTimeAsync(p.ChallengeDuration + TimeSpan.FromSeconds(1));
            await WaitUntilAsync(async () => (await malloryChain.GetChannelAsync(p)).Concluded, () => tower.Output);
            Assert.Equal(new BigInteger(1_200), await BalanceAsync(alice.Address));
            Assert.Equal(new BigInteger(800), await BalanceAsync(malloryKey.Address));
        }
    }

    /// <summary>The last block the tower's event follower processed, from its debug log (event 1027), or 0.</summary>
    private static ulong ProcessedUpTo(TowerProcess tower) =>
        Processed().Matches(tower.Output).Select(m => ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(0UL).Max();

    [GeneratedRegex(@"blocks \d+\.\.(\d+) processed")]
    private static partial Regex Processed();

    [Fact]
    public async Task TowerProcess_OfflineForPartOfTheChallengePeriod_RestartCatchesUpFromItsCursorAndRefutesInTime()
    {
        var tower = await StartTowerAsync("tower-restart.db");
        using var alice = PrivateKey.Create();
        using var malloryKey = PrivateKey.Create();
        var (mallory, malloryChain, malloryStore) = await ClientAsync(malloryKey, 2);
        await using (mallory)
        {
            var p = await PayThenGoOfflineAsync(tower, alice, mallory);
            var id = Eip712.ComputeChannelId(malloryChain.Domain, p);

            // The tower goes down (kill -9); meanwhile Mallory registers version 0 and half the period passes.
            tower.Kill();
            await tower.DisposeAsync();
            await malloryChain.RegisterAsync(p, (await malloryStore.GetStateAsync(id, 0))!);
            await _node.IncreaseTimeAsync(p.ChallengeDuration / 2);
            await _node.MineAsync(5);

            // Restarted on the same database, it catches up from its cursor and refutes before the deadline.
            await using var restarted = await StartTowerAsync("tower-restart.db");
            Assert.Contains("channels=1", restarted.Output, StringComparison.Ordinal);
            await WaitUntilAsync(async () => (await malloryChain.GetChannelAsync(p)).RegisteredVersion == 100, () => restarted.Output);
            await _node.IncreaseTimeAsync(p.ChallengeDuration);
            await WaitUntilAsync(async () => (await malloryChain.GetChannelAsync(p)).Concluded, () => restarted.Output);
            Assert.Equal(new BigInteger(1_200), await BalanceAsync(alice.Address));
        }
    }
}

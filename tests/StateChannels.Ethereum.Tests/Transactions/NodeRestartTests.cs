using System.Net;
using System.Net.Sockets;
using StateChannels.Testing;
using StateChannels.TestKit;
using Xunit.Abstractions;
using static StateChannels.Ethereum.Tests.Transactions.ChainProbe;

namespace StateChannels.Ethereum.Tests.Transactions;

/// <summary>
/// The node is stopped and restarted (same port, chain kept with anvil --state, mempool lost) while
/// a transaction waits for its receipt and while a read is retried: both complete, nothing is sent twice.
/// </summary>
public sealed class NodeRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sc-restart-").FullName;
    private readonly PrivateKey _alice = PrivateKey.Create();
    private readonly PrivateKey _bob = PrivateKey.Create();
    private AnvilNode _node = null!;
    private int _port;

    private string StateFile => Path.Combine(_directory, "anvil-state.json");

    public async Task InitializeAsync()
    {
        _port = FreePort();
        _node = await AnvilNode.StartAsync(port: _port, stateFile: StateFile);
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _alice.Dispose();
        _bob.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task DepositAsync_NodeRestartsWhileWaitingForTheReceipt_CompletesWithOneTransaction()
    {
        using var key = PrivateKey.Parse(_node.PrivateKeys[1]);
        var options = Options();
        var adjudicatorAddress = await EthereumAdjudicator.DeployAsync(_node.RpcUrl, key, options);
        var adjudicator = await EthereumAdjudicator.ConnectAsync(_node.RpcUrl, adjudicatorAddress, key, options, new InMemoryChannelStore());
        var signed = RecordSigned(adjudicator);
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000);
        var n0 = await NonceAsync(_node, key.Address);

        await _node.RpcAsync("evm_setAutomine", false);
        var deposit = adjudicator.DepositAsync(channel, 0, Amount.Zero, 1_000).AsTask();
        await WaitPendingAsync(_node, key.Address, n0 + 1);

        // Stop the node mid-operation; while it is down, a read starts and keeps retrying.
        await _node.StopAsync();
        var read = adjudicator.GetChannelAsync(channel).AsTask();
        await Task.Delay(300);
        Assert.False(deposit.IsCompleted, deposit.Exception?.ToString());
        await _node.DisposeAsync();
        _node = await AnvilNode.StartAsync(port: _port, stateFile: StateFile);

        // The restarted node lost its mempool: the manager re-broadcasts the same signed bytes.
        await deposit.WaitAsync(TimeSpan.FromSeconds(60));
        await read.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Single(signed);
        Assert.True(await IsMinedAsync(_node, signed.Single().Hash));
        Assert.Equal(n0 + 1, await NonceAsync(_node, key.Address));
        Assert.Equal(new Amount(1_000), (await adjudicator.GetChannelAsync(channel)).Held0);
    }

    private EthereumAdjudicatorOptions Options() => new()
    {
        PollInterval = TimeSpan.FromMilliseconds(20),
        ReceiptTimeout = TimeSpan.FromSeconds(60),
        RpcTimeout = TimeSpan.FromSeconds(5),
        RpcRetryCount = 8,
        RpcRetryDelay = TimeSpan.FromMilliseconds(100),
        CircuitBreakDuration = TimeSpan.FromMilliseconds(500),
        Logger = new TestOutputLogger(output),
    };

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

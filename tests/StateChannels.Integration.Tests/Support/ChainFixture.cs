using StateChannels.Ethereum;
using StateChannels.TestKit;

namespace StateChannels.Integration.Tests.Support;

/// <summary>
/// One real anvil for the whole assembly, with the adjudicator deployed. Each party of each test
/// gets a transaction account of its own (nonces are per process, and a killed process may leave
/// a pending transaction behind).
/// </summary>
public sealed class ChainFixture : IAsyncLifetime
{
    private int _nextAccount;

    public AnvilNode Node { get; private set; } = null!;

    public EthAddress Adjudicator { get; private set; }

    public Eip712Domain Domain { get; private set; } = null!;

    public static EthereumAdjudicatorOptions FastOptions() => new()
    {
        PollInterval = TimeSpan.FromMilliseconds(20),
        ReceiptTimeout = TimeSpan.FromMinutes(2),
        RpcTimeout = TimeSpan.FromSeconds(20),
    };

    public async Task InitializeAsync()
    {
        Node = await AnvilNode.StartAsync(accounts: 60);
        using var deployer = PrivateKey.Parse(Node.PrivateKeys[0]);
        Adjudicator = await EthereumAdjudicator.DeployAsync(Node.RpcUrl, deployer, FastOptions());
        Domain = new Eip712Domain(Node.ChainId, Adjudicator);
        _nextAccount = 0;
    }

    /// <summary>A funded account's key (hex) that no other party uses.</summary>
    public string NextTransactionKey()
    {
        var i = Interlocked.Increment(ref _nextAccount);
        Assert.True(i < Node.PrivateKeys.Count, "out of funded anvil accounts: start anvil with more");
        return Node.PrivateKeys[i];
    }

    /// <summary>An adjudicator client for reading the chain (sends nothing unless asked).</summary>
    public Task<EthereumAdjudicator> ReaderAsync(PrivateKey anyKey) =>
        EthereumAdjudicator.ConnectAsync(Node.RpcUrl, Adjudicator, anyKey, FastOptions());

    public async Task DisposeAsync()
    {
        if (Node is not null)
        {
            await Node.DisposeAsync();
        }
    }
}

using System.Numerics;

namespace StateChannels.Integration.Tests.Lifecycle.Support;

/// <summary>
/// Base of the lifecycle tests: a temp directory for the LiteDB files, the parties created in it
/// (disposed at the end), and the on-chain accounting helpers.
/// </summary>
public abstract class LifecycleTest(LifecycleChain chain, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "statechannels-life-" + Guid.NewGuid().ToString("N")[..10]);

    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    protected LifecycleChain Chain => chain;

    protected ITestOutputHelper Output => output;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    protected async Task<LifecycleParty> PartyAsync(
        string name, EthAddress asset, Action<StateChannelClientOptions>? configure = null,
        bool followChainEvents = false, Func<IAdjudicator, IAdjudicator>? wrap = null)
    {
        var options = LifecycleParty.FastOptions(asset);
        configure?.Invoke(options);
        var party = await LifecycleParty.CreateAsync(chain, name, _dir, options, followChainEvents: followChainEvents, wrap: wrap);
        _owned.Add(party);
        return party;
    }

    /// <summary>Stops <paramref name="party"/> for good and starts it again from its LiteDB file (same key, same account).</summary>
    protected async Task<LifecycleParty> RestartAsync(LifecycleParty party, EthAddress asset)
    {
        await party.DisposeAsync();
        var again = await LifecycleParty.CreateAsync(chain, party.Name, _dir, LifecycleParty.FastOptions(asset), party.KeyHex);
        _owned.Add(again);
        return again;
    }

    /// <summary>Disposes <paramref name="owned"/> at the end of the test (before the parties created earlier).</summary>
    protected T Own<T>(T owned)
        where T : IAsyncDisposable
    {
        _owned.Add(owned);
        return owned;
    }

    protected async Task<TcpLink> ConnectAsync(LifecycleParty listening, LifecycleParty dialling)
    {
        var link = await TcpLink.ConnectAsync(listening, dialling);
        _owned.Add(link);
        return link;
    }

    /// <summary>Both parties' balances (ETH, and the token when <paramref name="asset"/> is it) at a block.</summary>
    protected async Task<Holdings> HoldingsAsync(EthAddress asset, ulong block, params LifecycleParty[] parties)
    {
        var eth = new Dictionary<EthAddress, BigInteger>();
        var tokens = new Dictionary<EthAddress, BigInteger>();
        foreach (var p in parties.Select(p => p.Address).Append(chain.Adjudicator))
        {
            eth[p] = await chain.EthBalanceAsync(p, block);
            tokens[p] = asset == EthAddress.Zero ? BigInteger.Zero : await chain.TokenBalanceAsync(p, block);
        }

        return new Holdings(eth, tokens);
    }

    /// <summary>
    /// Checks, to the wei, that between <paramref name="before"/> and <paramref name="after"/> each
    /// party's account changed by exactly <c>received - deposited</c> in the channel's asset, and its
    /// ETH additionally by the fees it paid (from the receipts); that the adjudicator holds what it
    /// held before; and that nobody is left with a credit to withdraw.
    /// </summary>
    protected async Task AssertSettledAsync(
        EthAddress asset, Holdings before, Holdings after, IReadOnlyList<MinedTransaction> mined,
        params (LifecycleParty Party, BigInteger Deposited, BigInteger Received)[] expected)
    {
        foreach (var (party, deposited, received) in expected)
        {
            var fees = mined.FeesOf(party.Address);
            var ethChange = after.Eth[party.Address] - before.Eth[party.Address];
            if (asset == EthAddress.Zero)
            {
                Assert.Equal(received - deposited - fees, ethChange);
            }
            else
            {
                Assert.Equal(-fees, ethChange);
                Assert.Equal(received - deposited, after.Tokens[party.Address] - before.Tokens[party.Address]);
            }

            Assert.Equal(Amount.Zero, await party.Chain.GetCreditAsync(party.Address, asset));
            output.WriteLine($"{party.Name}: deposited {deposited}, received {received}, paid {fees} wei in fees");
        }

        Assert.Equal(before.Eth[chain.Adjudicator], after.Eth[chain.Adjudicator]);
        Assert.Equal(before.Tokens[chain.Adjudicator], after.Tokens[chain.Adjudicator]);
    }

    protected async Task<IReadOnlyList<MinedTransaction>> MinedSinceAsync(ulong fromBlock)
    {
        var mined = await GasLedger.ScanAsync(chain, fromBlock, await chain.BlockNumberAsync());
        foreach (var t in mined)
        {
            output.WriteLine($"  tx {t.Operation}: {t.GasUsed} gas{(t.Succeeded ? "" : " (reverted)")}");
        }

        LifecycleFigures.RecordGas(mined);
        return mined;
    }

    protected static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "not reached in time: " + what);
            await Task.Delay(20);
        }
    }

    protected static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, "not reached in time: " + what);
            await Task.Delay(20);
        }
    }

    /// <summary>Balances of some accounts (ETH and one token) at one block.</summary>
    protected sealed record Holdings(IReadOnlyDictionary<EthAddress, BigInteger> Eth, IReadOnlyDictionary<EthAddress, BigInteger> Tokens);
}

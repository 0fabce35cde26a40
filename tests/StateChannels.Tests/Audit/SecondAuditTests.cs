using Microsoft.Extensions.Time.Testing;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Audit;

/// <summary>
/// Tests added by the second mutation audit (docs/threats-audit.md): each fails when the defence it
/// names is removed, where the tests docs/threats.md named for the case did not.
/// </summary>
public sealed class SecondAuditTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _blockTime = new(DateTimeOffset.UtcNow);
    private readonly SimulatedChain _chain;
    private readonly List<IAsyncDisposable> _owned = [];

    public SecondAuditTests() =>
        _chain = new SimulatedChain(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")), _blockTime);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var o in _owned)
        {
            await o.DisposeAsync();
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in time");
            await Task.Delay(5);
        }
    }

    private async Task<Party> PartyAsync(string name, StateChannelClientOptions? options = null)
    {
        var party = await Party.CreateAsync(name, _chain, options: options, clientTime: TimeProvider.System);
        _owned.Add(party);
        return party;
    }

    /// <summary>
    /// B7 (audit 2): ForceCloseAsync, with no watcher running, keeps trying to conclude until the
    /// deadline has passed and reports Closed only once the latest balances are paid out. The named
    /// anvil test passes without the retry loop because its watcher concludes the channel.
    /// </summary>
    [Fact]
    public async Task ForceClose_NoWatcher_KeepsConcludingUntilTheDeadlineThenPaysTheLatestBalances()
    {
        var fastPoll = new StateChannelClientOptions { ChainPollInterval = TimeSpan.FromMilliseconds(20) };
        var alice = await PartyAsync("alice", fastPoll);
        var bob = await PartyAsync("bob");
        Party.Connect(alice, bob);
        var a = await alice.Client.OpenChannelAsync(bob.Address, 1_000, 1_000).WaitAsync(Limit);
        await a.PayAsync(10).WaitAsync(Limit);

        var forceClose = a.ForceCloseAsync();
        await WaitUntilAsync(() => a.Phase == ChannelPhase.Disputed);

        // Several refused conclude attempts (before the deadline): still disputed, nothing paid out.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(forceClose.IsCompleted, "ForceCloseAsync returned before the challenge deadline");
        Assert.Equal(ChannelPhase.Disputed, a.Phase);
        Assert.Equal(Amount.Zero, _chain.BalanceOf(alice.Address, EthAddress.Zero));

        _blockTime.Advance(TimeSpan.FromHours(2));
        await forceClose.WaitAsync(Limit);
        Assert.Equal(ChannelPhase.Closed, a.Phase);
        Assert.True((await _chain.For(alice.Address).GetChannelAsync(a.Params)).Concluded);
        Assert.Equal(new Amount(990), _chain.BalanceOf(alice.Address, EthAddress.Zero));
        Assert.Equal(new Amount(1_010), _chain.BalanceOf(bob.Address, EthAddress.Zero));
    }
}

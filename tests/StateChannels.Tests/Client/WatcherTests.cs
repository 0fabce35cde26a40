using Microsoft.Extensions.Time.Testing;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>Mallory registers an old state; Alice's watcher refutes it in time (B1), or fails to when offline too long (B14).</summary>
public sealed class WatcherTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _blockTime = new(DateTimeOffset.UtcNow);
    private readonly SimulatedChain _chain;
    private Party _alice = null!;
    private Party _mallory = null!;

    public WatcherTests() =>
        _chain = new SimulatedChain(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")), _blockTime);

    public async Task InitializeAsync()
    {
        _alice = await Party.CreateAsync("alice", _chain, clientTime: TimeProvider.System);
        _mallory = await Party.CreateAsync("mallory", _chain, clientTime: TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await _alice.DisposeAsync();
        await _mallory.DisposeAsync();
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

    /// <summary>Opens 1000/1000 and has Mallory pay Alice 100 × 2; Mallory then registers version 0.</summary>
    private async Task<(Channel Alice, SignedState Latest)> MalloryRegistersVersionZeroAsync()
    {
        Party.Connect(_alice, _mallory);
        var alice = await _alice.Client.OpenChannelAsync(_mallory.Address, 1_000, 1_000).WaitAsync(Limit);
        var mallory = _mallory.Client.GetChannel(alice.Id);
        await WaitUntilAsync(() => mallory.Phase == ChannelPhase.Active);
        for (var i = 0; i < 100; i++)
        {
            await mallory.PayAsync(2).WaitAsync(Limit);
        }

        await WaitUntilAsync(() => alice.Latest!.State.Version == 100);
        var v0 = await _mallory.Store.GetStateAsync(alice.Id, 0);
        await _chain.For(_mallory.Address).RegisterAsync(alice.Params, v0!);
        return (alice, alice.Latest!);
    }

    [Fact]
    public async Task Watcher_MalloryRegistersVersionZero_RefutesAndAliceGetsLatestBalance()
    {
        var (alice, latest) = await MalloryRegistersVersionZeroAsync();
        using var stop = new CancellationTokenSource();
        var watcher = _alice.Client.RunWatcherAsync(stop.Token);

        await WaitUntilAsync(() => _chain.For(_alice.Address).GetChannelAsync(alice.Params).AsTask().Result.RegisteredVersion == 100);
        Assert.Equal(ChannelPhase.Disputed, alice.Phase);

        // Mallory cannot conclude early, nor go back to her old state.
        var early = await Assert.ThrowsAsync<StateChannelException>(() => _chain.For(_mallory.Address).ConcludeAsync(alice.Params).AsTask());
        Assert.Equal(ErrorCode.TransactionFailed, early.Code);

        _blockTime.Advance(alice.Params.ChallengeDuration + TimeSpan.FromSeconds(1));
        await WaitUntilAsync(() => alice.Phase == ChannelPhase.Closed);
        Assert.Equal(latest.State.Balance0, _chain.BalanceOf(_alice.Address, EthAddress.Zero));
        Assert.Equal(latest.State.Balance1, _chain.BalanceOf(_mallory.Address, EthAddress.Zero));
        Assert.Equal(new Amount(1_200), _chain.BalanceOf(_alice.Address, EthAddress.Zero));

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);
    }

    [Fact]
    public async Task Watcher_OfflineLongerThanChallengePeriod_MalloryWinsWithOldState()
    {
        // The documented loss (README "Security model"): nobody watched within the window.
        var (alice, _) = await MalloryRegistersVersionZeroAsync();
        _blockTime.Advance(alice.Params.ChallengeDuration + TimeSpan.FromSeconds(1));
        await _chain.For(_mallory.Address).ConcludeAsync(alice.Params);
        Assert.Equal(new Amount(1_000), _chain.BalanceOf(_alice.Address, EthAddress.Zero));

        // Coming back late, the watcher sees the concluded channel and stops disputing.
        await _alice.Client.WatchOnceAsync(CancellationToken.None);
        Assert.Equal(ChannelPhase.Closed, alice.Phase);
    }

    [Fact]
    public async Task Watcher_BackAfterTheDeadlineNobodyConcluded_RefuteRefusedSoItConcludes()
    {
        // The documented loss, but Mallory does not conclude: Alice's watcher, back too late, finds
        // its refute refused (ChallengeExpired) and must conclude rather than try the refute forever.
        var (alice, _) = await MalloryRegistersVersionZeroAsync();
        _blockTime.Advance(alice.Params.ChallengeDuration + TimeSpan.FromSeconds(1));

        await _alice.Client.WatchOnceAsync(CancellationToken.None);
        Assert.Equal(ChannelPhase.Closed, alice.Phase);
        Assert.True((await _chain.For(_alice.Address).GetChannelAsync(alice.Params)).Concluded);
        Assert.Equal(new Amount(1_000), _chain.BalanceOf(_alice.Address, EthAddress.Zero));
    }

    [Fact]
    public async Task Watcher_BackOnlineWithinWindow_CatchesUpAndRefutes()
    {
        var (alice, _) = await MalloryRegistersVersionZeroAsync();
        _blockTime.Advance(alice.Params.ChallengeDuration / 2); // offline for half the window
        await _alice.Client.WatchOnceAsync(CancellationToken.None);
        Assert.Equal(100UL, (await _chain.For(_alice.Address).GetChannelAsync(alice.Params)).RegisteredVersion);
        _blockTime.Advance(alice.Params.ChallengeDuration);
        await _alice.Client.WatchOnceAsync(CancellationToken.None);
        Assert.Equal(new Amount(1_200), _chain.BalanceOf(_alice.Address, EthAddress.Zero));
    }
}

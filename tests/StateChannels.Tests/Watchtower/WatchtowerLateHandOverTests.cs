using Microsoft.Extensions.Time.Testing;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Watchtower;

/// <summary>
/// G2, late hand-over: a channel (or a newer state of one) reaches the tower after the peer's
/// registration is on chain and after the tower's event cursor has moved past it. No new event
/// will ever point at the channel, so the tower must look at it because it was handed over.
/// </summary>
public sealed class WatchtowerLateHandOverTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private static readonly Eip712Domain Domain = new(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3"));
    private readonly FakeTimeProvider _blockTime = new(DateTimeOffset.UtcNow);
    private readonly SimulatedChain _chain;
    private readonly PrivateKey _alice = PrivateKey.Create();
    private readonly PrivateKey _mallory = PrivateKey.Create();
    private readonly PrivateKey _towerGas = PrivateKey.Create();
    private readonly InMemoryChannelStore _towerStore = new();
    private readonly CountingAdjudicator _views;
    private readonly CountingEventSource _polls;
    private readonly ChannelParams _params;
    private CancellationTokenSource _stop = new();
    private WatchtowerService _tower = null!;
    private Task _run = Task.CompletedTask;

    public WatchtowerLateHandOverTests()
    {
        _chain = new SimulatedChain(Domain, _blockTime);
        _views = new CountingAdjudicator(_chain.For(_towerGas.Address));
        _polls = new CountingEventSource(_chain.Events);
        _params = new ChannelParams(_alice.Address, _mallory.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 1_000, 1_000);
    }

    private ChannelId Id => Eip712.ComputeChannelId(Domain, _params);

    private SimulatedAdjudicator Mallory => _chain.For(_mallory.Address);

    public async Task InitializeAsync()
    {
        await _chain.For(_alice.Address).DepositAsync(_params, 0, 0, 1_000);
        await Mallory.DepositAsync(_params, 1, 0, 1_000);
        _tower = await NewTowerAsync();
        _run = _tower.RunAsync(_stop.Token);
    }

    // ReorgDepth 1: a restarted tower re-reads only its cursor's block, so a registration a few
    // blocks behind the cursor is seen again only by the start-up look at every channel.
    private Task<WatchtowerService> NewTowerAsync() => WatchtowerService.CreateAsync(
        new WatchtowerOptions { ChainPollInterval = TimeSpan.FromMilliseconds(5), ReorgDepth = 1 }, _towerStore, _views, _polls, TimeProvider.System);

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _run.WaitAsync(Limit));
        _stop.Dispose();
        _alice.Dispose();
        _mallory.Dispose();
        _towerGas.Dispose();
    }

    /// <summary>(a) The tower already ran when Mallory registered; Alice's latest state arrives after its cursor passed the event.</summary>
    [Fact]
    public async Task Submit_AfterTheTowerPassedThePeersRegistration_RefutesBeforeTheDeadlineAndAliceGetsHerLatest()
    {
        await Mallory.RegisterAsync(_params, State(0, 1_000));
        await LetTheTowerPassAsync(_chain.BlockNumber);

        var receipt = await _tower.SubmitAsync(_alice.Address, _params, State(100, 1_200));

        Assert.True(receipt.Accepted, receipt.Reason);
        await WaitUntilAsync(async () => (await Mallory.GetChannelAsync(_params)).RegisteredVersion == 100);
        Assert.Equal(ChannelPhase.Disputed, _tower.GetPhase(Id));
        await ConcludesToAsync(1_200);
    }

    /// <summary>
    /// (b) The tower holds the channel as Active although the registration it passed is on chain
    /// (its look at the first version read a node lagging behind); a higher version arrives and
    /// must be checked against the chain, not only stored.
    /// </summary>
    [Fact]
    public async Task Submit_HigherVersionForAnActiveChannelWhoseRegistrationWasPassed_RefutesWithIt()
    {
        await Mallory.RegisterAsync(_params, State(1, 1_000));
        await LetTheTowerPassAsync(_chain.BlockNumber);
        Volatile.Write(ref _views.LaggingViews, 1);
        Assert.True((await _tower.SubmitAsync(_alice.Address, _params, State(1, 1_000))).Accepted);
        await LetTheTowerPassAsync(_chain.BlockNumber);
        Assert.True(Volatile.Read(ref _views.LaggingViews) <= 0, "the tower never looked at the channel it was handed");
        Assert.Equal(ChannelPhase.Active, _tower.GetPhase(Id));

        Assert.True((await _tower.SubmitAsync(_alice.Address, _params, State(5, 1_150))).Accepted);

        await WaitUntilAsync(async () => (await Mallory.GetChannelAsync(_params)).RegisteredVersion == 5);
        await ConcludesToAsync(1_150);
    }

    /// <summary>
    /// (b) again, with the higher version arriving while the tower's look at the first one is under
    /// way (and reads a lagging node): the look must not clear the mark the new version set.
    /// </summary>
    [Fact]
    public async Task Submit_HigherVersionDuringTheLookAtTheFirst_LookedAtAgainAndRefutesWithIt()
    {
        await Mallory.RegisterAsync(_params, State(1, 1_000));
        await LetTheTowerPassAsync(_chain.BlockNumber);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _views.HoldViews = hold.Task;
        Volatile.Write(ref _views.LaggingViews, 1);
        var reads = _views.ViewReads;
        Assert.True((await _tower.SubmitAsync(_alice.Address, _params, State(1, 1_000))).Accepted);
        await WaitUntilAsync(() => Task.FromResult(_views.ViewReads > reads)); // the look at version 1 is reading

        Assert.True((await _tower.SubmitAsync(_alice.Address, _params, State(5, 1_150))).Accepted);
        _views.HoldViews = null;
        hold.SetResult();

        await WaitUntilAsync(async () => (await Mallory.GetChannelAsync(_params)).RegisteredVersion == 5);
        Assert.True(Volatile.Read(ref _views.LaggingViews) <= 0);
        await ConcludesToAsync(1_150);
    }

    /// <summary>(d) The chain cannot be reached when the state arrives: it is still accepted durably, and looked at again until a look succeeds.</summary>
    [Fact]
    public async Task Submit_WhileTheChainIsUnreachable_AcceptedDurablyAndRefutedOnceTheChainAnswers()
    {
        await Mallory.RegisterAsync(_params, State(0, 1_000));
        await LetTheTowerPassAsync(_chain.BlockNumber);
        _chain.FailEventReads = true;
        Volatile.Write(ref _views.FailViews, int.MaxValue);
        var reads = _views.ViewReads;

        var receipt = await _tower.SubmitAsync(_alice.Address, _params, State(100, 1_200)).WaitAsync(Limit);

        Assert.True(receipt.Accepted, receipt.Reason);
        Assert.Equal(100UL, (await _towerStore.GetChannelAsync(Id))!.Latest!.State.Version);
        await WaitUntilAsync(() => Task.FromResult(_views.ViewReads >= reads + 3)); // failed looks, tried again and again
        Assert.Equal((ulong?)0, (await Mallory.GetChannelAsync(_params)).RegisteredVersion);

        _chain.FailEventReads = false;
        Volatile.Write(ref _views.FailViews, 0);
        await WaitUntilAsync(async () => (await Mallory.GetChannelAsync(_params)).RegisteredVersion == 100);
        await ConcludesToAsync(1_200);
    }

    /// <summary>
    /// (c) The tower accepted Alice's state after its cursor passed Mallory's registration and
    /// stopped (a crash) before any look: the mark died with it. Restarted on its store, its cursor
    /// is past the event, so only the start-up look at every held channel can refute.
    /// </summary>
    [Fact]
    public async Task Restart_AfterAcceptingALateHandOverItNeverLookedAt_StartUpLookRefutes()
    {
        await Mallory.RegisterAsync(_params, State(0, 1_000));
        var other = new ChannelParams(_alice.Address, _mallory.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 1_000, 1_000);
        await Mallory.DepositAsync(other, 1, 0, 1); // two more blocks: the registration is beyond the re-read window
        await Mallory.DepositAsync(other, 1, 1, 1);
        await LetTheTowerPassAsync(_chain.BlockNumber);
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _run.WaitAsync(Limit));
        Assert.True((await _tower.SubmitAsync(_alice.Address, _params, State(100, 1_200))).Accepted);

        _stop.Dispose();
        _stop = new CancellationTokenSource();
        _tower = await NewTowerAsync();
        _run = _tower.RunAsync(_stop.Token);

        await WaitUntilAsync(async () => (await Mallory.GetChannelAsync(_params)).RegisteredVersion == 100);
        await ConcludesToAsync(1_200);
    }

    /// <summary>A channel handed over after it was concluded on chain is marked Closed (nothing left to watch).</summary>
    [Fact]
    public async Task Submit_AfterTheChannelWasConcluded_MarkedClosed()
    {
        await Mallory.RegisterAsync(_params, State(0, 1_000));
        _blockTime.Advance(_params.ChallengeDuration + TimeSpan.FromSeconds(1));
        await Mallory.ConcludeAsync(_params);
        await LetTheTowerPassAsync(_chain.BlockNumber);

        Assert.True((await _tower.SubmitAsync(_alice.Address, _params, State(100, 1_200))).Accepted);

        await WaitUntilAsync(() => Task.FromResult(_tower.GetPhase(Id) == ChannelPhase.Closed));
        Assert.Equal(ChannelPhase.Closed, (await _towerStore.GetChannelAsync(Id))!.Phase);
    }

    /// <summary>Waits until the tower's durable cursor is at or past <paramref name="block"/> and it polled three more times.</summary>
    private async Task LetTheTowerPassAsync(ulong block)
    {
        await WaitUntilAsync(async () => await _towerStore.GetCursorAsync(WatchtowerService.CursorName) >= block);
        var polls = _polls.HeadReads;
        await WaitUntilAsync(() => Task.FromResult(_polls.HeadReads >= polls + 3));
    }

    /// <summary>After the deadline the tower concludes: Alice gets <paramref name="alice"/>, Mallory the rest.</summary>
    private async Task ConcludesToAsync(ulong alice)
    {
        _blockTime.Advance(_params.ChallengeDuration + TimeSpan.FromSeconds(1));
        await WaitUntilAsync(() => Task.FromResult(_tower.GetPhase(Id) == ChannelPhase.Closed));
        Assert.Equal(new Amount(alice), _chain.BalanceOf(_alice.Address, EthAddress.Zero));
        Assert.Equal(new Amount(2_000 - alice), _chain.BalanceOf(_mallory.Address, EthAddress.Zero));
    }

    private SignedState State(ulong version, ulong balance0)
    {
        var state = new ChannelState(Id, version, balance0, 2_000 - balance0, false);
        var digest = Eip712.HashState(Domain, state);
        return new SignedState(state, _alice.Sign(digest), _mallory.Sign(digest));
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow + Limit;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in time");
            await Task.Delay(5);
        }
    }
}

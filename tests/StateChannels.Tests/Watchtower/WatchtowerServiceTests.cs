using Microsoft.Extensions.Time.Testing;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Watchtower;

/// <summary>The watchtower on the simulated chain: what it accepts, and that it refutes and concludes for an offline client (B1, B14).</summary>
public sealed class WatchtowerServiceTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private static readonly Eip712Domain Domain = new(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3"));
    private readonly FakeTimeProvider _blockTime = new(DateTimeOffset.UtcNow);
    private readonly SimulatedChain _chain;
    private readonly PrivateKey _alice = PrivateKey.Create();
    private readonly PrivateKey _bob = PrivateKey.Create();
    private readonly PrivateKey _towerGas = PrivateKey.Create();
    private readonly InMemoryChannelStore _towerStore = new();
    private readonly ChannelParams _params;
    private WatchtowerService _tower = null!;

    public WatchtowerServiceTests()
    {
        _chain = new SimulatedChain(Domain, _blockTime);
        _params = new ChannelParams(_alice.Address, _bob.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 1_000, 1_000);
    }

    private ChannelId Id => Eip712.ComputeChannelId(Domain, _params);

    public async Task InitializeAsync() => _tower = await NewTowerAsync();

    public Task DisposeAsync()
    {
        _alice.Dispose();
        _bob.Dispose();
        _towerGas.Dispose();
        return Task.CompletedTask;
    }

    private Task<WatchtowerService> NewTowerAsync(WatchtowerOptions? options = null) =>
        WatchtowerService.CreateAsync(
            options ?? new WatchtowerOptions { ChainPollInterval = TimeSpan.FromMilliseconds(5) },
            _towerStore, _chain.For(_towerGas.Address), _chain.Events, TimeProvider.System);

    private SignedState State(ulong version, ulong balance0, PrivateKey? signer0 = null, PrivateKey? signer1 = null, Eip712Domain? domain = null)
    {
        var state = new ChannelState(Id, version, balance0, 2_000 - balance0, false);
        var digest = Eip712.HashState(domain ?? Domain, state);
        return new SignedState(state, (signer0 ?? _alice).Sign(digest), (signer1 ?? _bob).Sign(digest));
    }

    [Fact]
    public async Task Submit_SignedByBoth_AcceptedDurablyAndHigherVersionsReplaceIt()
    {
        var receipt = await _tower.SubmitAsync(_alice.Address, _params, State(3, 900));
        Assert.True(receipt.Accepted, receipt.Reason);
        Assert.Equal(3UL, (await _towerStore.GetChannelAsync(Id))!.Latest!.State.Version);

        Assert.True((await _tower.SubmitAsync(_bob.Address, _params, State(7, 800))).Accepted);
        Assert.True((await _tower.SubmitAsync(_bob.Address, _params, State(7, 800))).Accepted); // identical again: idempotent
        var lower = await _tower.SubmitAsync(_alice.Address, _params, State(5, 950));
        Assert.False(lower.Accepted);
        Assert.Equal(7UL, lower.Version);
        var conflicting = await _tower.SubmitAsync(_alice.Address, _params, State(7, 850));
        Assert.False(conflicting.Accepted);
        Assert.Equal(7UL, _tower.GetLatest(Id)!.State.Version);
        Assert.Equal(new Amount(800), _tower.GetLatest(Id)!.State.Balance0);
        Assert.Equal(7UL, (await _towerStore.GetChannelAsync(Id))!.Latest!.State.Version);
    }

    public static TheoryData<string> BadSubmissions => new() { "one-signature", "swapped", "other-domain", "non-participant", "balances", "other-channel" };

    [Theory]
    [MemberData(nameof(BadSubmissions))]
    public async Task Submit_NotAFullySignedStateOfTheChannel_RefusedAndNothingStored(string kind)
    {
        using var mallory = PrivateKey.Create();
        var (client, state) = kind switch
        {
            "one-signature" => (_alice.Address, State(1, 900, signer1: mallory)),
            "swapped" => (_alice.Address, Swap(State(1, 900))),
            "other-domain" => (_alice.Address, State(1, 900, domain: new Eip712Domain(1, Domain.Adjudicator))),
            "non-participant" => (mallory.Address, State(1, 900)),
            "balances" => (_alice.Address, SignBoth(new ChannelState(Id, 1, 900, 2_000, false))),
            "other-channel" => (_alice.Address, SignBoth(new ChannelState(ChannelId.FromHash32(Hash32.CreateRandom()), 1, 900, 1_100, false))),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        var receipt = await _tower.SubmitAsync(client, _params, state);

        Assert.False(receipt.Accepted);
        Assert.NotEmpty(receipt.Reason);
        Assert.Null(_tower.GetLatest(Id));
        Assert.Equal(0, _tower.ChannelCount);
        Assert.Null(await _towerStore.GetChannelAsync(Id));
    }

    [Fact]
    public async Task Submit_MoreChannelsThanAllowedPerClient_RefusedButTheCounterpartyIsNotCharged()
    {
        var tower = await NewTowerAsync(new WatchtowerOptions { MaxChannelsPerClient = 1 });
        Assert.True((await tower.SubmitAsync(_alice.Address, _params, State(1, 900))).Accepted);
        var (second, secondState) = OtherChannel();
        Assert.False((await tower.SubmitAsync(_alice.Address, second, secondState)).Accepted);
        Assert.True((await tower.SubmitAsync(_bob.Address, second, secondState)).Accepted); // Bob's quota, not Alice's
        Assert.Equal(2, tower.ChannelCount);

        // The quota survives a restart (recorded with each channel).
        var restarted = await NewTowerAsync(new WatchtowerOptions { MaxChannelsPerClient = 1 });
        var (third, thirdState) = OtherChannel();
        Assert.False((await restarted.SubmitAsync(_alice.Address, third, thirdState)).Accepted);
        Assert.False((await restarted.SubmitAsync(_bob.Address, third, thirdState)).Accepted);
    }

    [Fact]
    public async Task Submit_MoreChannelsThanMaxChannelsInAll_RefusedWhateverTheClient()
    {
        // Any key can be a client: the per-client quota alone bounds nothing (second review).
        var tower = await NewTowerAsync(new WatchtowerOptions { MaxChannels = 1 });
        Assert.True((await tower.SubmitAsync(_alice.Address, _params, State(1, 900))).Accepted);
        var (second, secondState) = OtherChannel();
        var refused = await tower.SubmitAsync(_bob.Address, second, secondState);
        Assert.False(refused.Accepted);
        Assert.Contains("in all", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(1, tower.ChannelCount);

        // Counted again after a restart, from the store.
        var restarted = await NewTowerAsync(new WatchtowerOptions { MaxChannels = 1 });
        Assert.False((await restarted.SubmitAsync(_bob.Address, second, secondState)).Accepted);
    }

    [Fact]
    public async Task Submit_CancelledBefore_ThrowsAndStoresNothing()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _tower.SubmitAsync(_alice.Address, _params, State(1, 900), cts.Token));
        Assert.Equal(0, _tower.ChannelCount);
        Assert.Null(await _towerStore.GetChannelAsync(Id));
        Assert.True((await _tower.SubmitAsync(_alice.Address, _params, State(1, 900))).Accepted);
    }

    private (ChannelParams Params, SignedState State) OtherChannel()
    {
        var other = new ChannelParams(_alice.Address, _bob.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 1_000, 1_000);
        var state = new ChannelState(Eip712.ComputeChannelId(Domain, other), 1, 900, 1_100, false);
        var digest = Eip712.HashState(Domain, state);
        return (other, new SignedState(state, _alice.Sign(digest), _bob.Sign(digest)));
    }

    [Fact]
    public async Task Tower_MalloryRegistersVersionZeroWhileAliceIsOffline_RefutesThenConcludes()
    {
        // Bob is Mallory here: he holds version 0, which gave him 1000.
        await _chain.For(_alice.Address).DepositAsync(_params, 0, 0, 1_000);
        await _chain.For(_bob.Address).DepositAsync(_params, 1, 0, 1_000);
        Assert.True((await _tower.SubmitAsync(_alice.Address, _params, State(100, 1_200))).Accepted);
        using var stop = new CancellationTokenSource();
        var run = _tower.RunAsync(stop.Token);

        await _chain.For(_bob.Address).RegisterAsync(_params, State(0, 1_000));
        await WaitUntilAsync(async () => (await _chain.For(_bob.Address).GetChannelAsync(_params)).RegisteredVersion == 100);
        Assert.Equal(ChannelPhase.Disputed, _tower.GetPhase(Id));

        _blockTime.Advance(_params.ChallengeDuration + TimeSpan.FromSeconds(1));
        await WaitUntilAsync(() => Task.FromResult(_tower.GetPhase(Id) == ChannelPhase.Closed));
        Assert.Equal(new Amount(1_200), _chain.BalanceOf(_alice.Address, EthAddress.Zero));
        Assert.Equal(new Amount(800), _chain.BalanceOf(_bob.Address, EthAddress.Zero));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task Tower_HandedTheLatestAfterTheDeadline_RefuteTooLateSoItConcludes()
    {
        // Version 0 was registered and its deadline passed before Alice handed over version 100:
        // the refute is refused (ChallengeExpired); the tower must conclude, not retry it forever.
        await _chain.For(_alice.Address).DepositAsync(_params, 0, 0, 1_000);
        await _chain.For(_bob.Address).DepositAsync(_params, 1, 0, 1_000);
        await _chain.For(_bob.Address).RegisterAsync(_params, State(0, 1_000));
        _blockTime.Advance(_params.ChallengeDuration + TimeSpan.FromSeconds(1));
        Assert.True((await _tower.SubmitAsync(_alice.Address, _params, State(100, 1_200))).Accepted);
        using var stop = new CancellationTokenSource();
        var run = _tower.RunAsync(stop.Token);

        await WaitUntilAsync(() => Task.FromResult(_tower.GetPhase(Id) == ChannelPhase.Closed));
        Assert.True((await _chain.For(_bob.Address).GetChannelAsync(_params)).Concluded);
        Assert.Equal(new Amount(1_000), _chain.BalanceOf(_alice.Address, EthAddress.Zero)); // version 0's payout: too late
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task Tower_RestartedFromItsStore_ReloadsVerifiedStatesAndRefutes()
    {
        await _chain.For(_alice.Address).DepositAsync(_params, 0, 0, 1_000);
        await _chain.For(_bob.Address).DepositAsync(_params, 1, 0, 1_000);
        Assert.True((await _tower.SubmitAsync(_alice.Address, _params, State(9, 1_100))).Accepted);
        await _chain.For(_bob.Address).RegisterAsync(_params, State(0, 1_000));

        var restarted = await NewTowerAsync();
        Assert.Equal(9UL, restarted.GetLatest(Id)!.State.Version);
        using var stop = new CancellationTokenSource();
        var run = restarted.RunAsync(stop.Token);
        await WaitUntilAsync(async () => (await _chain.For(_bob.Address).GetChannelAsync(_params)).RegisteredVersion == 9);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task Feeder_OverAConnection_TowerHoldsTheLatestAndAMalformedFrameDropsOnlyThatClient()
    {
        var alice = await Party.CreateAsync("alice", _chain, keyOf: _alice, clientTime: TimeProvider.System);
        await using var bob = await Party.CreateAsync("bob", _chain, clientTime: TimeProvider.System);
        await using (alice)
        {
            Party.Connect(alice, bob);
            var channel = await alice.Client.OpenChannelAsync(bob.Address, 1_000, 1_000).WaitAsync(Limit);
            var pair = InMemoryTransport.CreatePair(_alice.Address, _towerGas.Address);
            using var stop = new CancellationTokenSource();
            var serve = _tower.RunConnectionAsync(pair.Second, stop.Token);
            var feeder = new WatchtowerFeeder(alice.Client, pair.First);
            using var stopFeeder = new CancellationTokenSource(); // its own: the tower closing first would end it normally
            var feeding = feeder.RunAsync(stopFeeder.Token);
            for (var i = 0; i < 20; i++)
            {
                await channel.PayAsync(1).WaitAsync(Limit);
            }

            await feeder.WhenAcknowledgedAsync(channel.Id, 20).WaitAsync(Limit);
            Assert.Equal(20UL, _tower.GetLatest(channel.Id)!.State.Version);
            Assert.Equal(channel.Latest, _tower.GetLatest(channel.Id));

            // A client that sends garbage loses its connection; the tower's state is unchanged.
            var rogue = InMemoryTransport.CreatePair(_bob.Address, _towerGas.Address);
            var rogueServe = _tower.RunConnectionAsync(rogue.Second, stop.Token);
            await rogue.First.SendAsync(new byte[] { 1, 0x81, 0xFF });
            await rogueServe.WaitAsync(Limit);
            Assert.Equal(20UL, _tower.GetLatest(channel.Id)!.State.Version);

            await stopFeeder.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => feeding.WaitAsync(Limit));
            await stop.CancelAsync();
            await serve.WaitAsync(Limit);
        }
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

    private static SignedState Swap(SignedState s) => new(s.State, s.Sig1, s.Sig0);

    private SignedState SignBoth(ChannelState state)
    {
        var digest = Eip712.HashState(Domain, state);
        return new SignedState(state, _alice.Sign(digest), _bob.Sign(digest));
    }
}

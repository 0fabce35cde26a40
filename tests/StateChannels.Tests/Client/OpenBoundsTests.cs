using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// THREATS G3 (the outside review's finding 2) and G4 (finding 3): every value the opener chooses is
/// bounded by an option of ours, refused with a typed reason before we sign anything; and a third
/// party's deposits for us never make our funding fail.
/// </summary>
public sealed class OpenBoundsTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly SimulatedChain _chain = new(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
    private readonly PrivateKey _mallory = PrivateKey.Create();
    private Party _bob = null!;
    private InMemoryConnection _wire = null!;

    public async Task InitializeAsync()
    {
        var options = Party.FastOptions();
        options.MaxPeerFunding = new Amount(1_000_000);
        _bob = await Party.CreateAsync("bob", _chain, options: options);
        var pair = InMemoryTransport.CreatePair(_mallory.Address, _bob.Address);
        _wire = pair.First;
        _bob.Serve(pair.Second);
    }

    public async Task DisposeAsync() => await _bob.DisposeAsync();

    private async Task<RejectUpdate> OpenAsync(ulong challengeSeconds, ulong funding0 = 100, ulong funding1 = 100)
    {
        var p = new ChannelParams(_mallory.Address, _bob.Address, EthAddress.Zero, challengeSeconds, Hash32.CreateRandom(), funding0, funding1);
        var id = Eip712.ComputeChannelId(_chain.Domain, p);
        await _wire.SendAsync(MessageCodec.Encode(new OpenRequest(p, _chain.Domain)));
        var v0 = ChannelState.Opening(id, p);
        await _wire.SendAsync(MessageCodec.Encode(new ProposeUpdate(v0, 0)));
        using var cts = new CancellationTokenSource(Limit);
        var frame = await _wire.ReceiveAsync(cts.Token) ?? throw new InvalidOperationException("connection closed");
        var reply = MessageCodec.Decode(frame.Span);
        var reject = Assert.IsType<RejectUpdate>(reply); // not an AcceptUpdate: nothing signed
        Assert.Equal(id, reject.ChannelId);
        Assert.Empty(_bob.Client.Channels);
        Assert.Null(await _bob.Store.GetChannelAsync(id));
        return reject;
    }

    [Theory]
    [InlineData(1UL)] // register v0 and conclude in the next block: no watcher could react
    [InlineData(3_599UL)] // just below our default minimum of one hour
    [InlineData(7UL * 86_400 + 1)] // just above our default maximum of 7 days
    [InlineData(365UL * 86_400)] // our deposit locked for a year by a dispute
    public async Task Open_ChallengeDurationOutsideOurBounds_RefusedBeforeSigning(ulong seconds)
    {
        var reject = await OpenAsync(seconds);
        Assert.Equal(ErrorCode.InvalidParams, reject.Code);
        Assert.Contains("challenge duration", reject.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_OpenersFundingAboveMaxPeerFunding_Refused()
    {
        var reject = await OpenAsync(3600, funding0: 1_000_001);
        Assert.Equal(ErrorCode.InvalidParams, reject.Code);
        Assert.Contains("opener's funding", reject.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_OurFundingAboveMaxAcceptedFunding_Refused()
    {
        var reject = await OpenAsync(3600, funding1: 1_000_000_001);
        Assert.Equal(ErrorCode.InvalidParams, reject.Code);
        Assert.Contains("we fund at most", reject.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenChannelAsync_BelowTheResponderMinimum_OpenerGetsPeerRejected()
    {
        var options = Party.FastOptions();
        options.ChallengeDuration = options.MinChallengeDuration = TimeSpan.FromMinutes(30);
        await using var alice = await Party.CreateAsync("alice", _chain, options: options);
        Party.Connect(alice, _bob);
        var e = await Assert.ThrowsAsync<StateChannelException>(() => alice.Client.OpenChannelAsync(_bob.Address, 10, 10).WaitAsync(Limit));
        Assert.Equal(ErrorCode.PeerRejected, e.Code);
        Assert.Contains("challenge duration", e.Message, StringComparison.Ordinal);
        Assert.Empty(_bob.Client.Channels);
    }

    [Theory]
    [InlineData(30, 60, 30 * 60)] // shorter than our own minimum
    [InlineData(60 * 24 * 8, 60, 60 * 60)] // longer than our own maximum
    public void Options_OwnChallengeDurationOutsideOwnBounds_RefusedAtCreate(int challengeMinutes, int minMinutes, int pollSeconds)
    {
        var options = new StateChannelClientOptions
        {
            ChallengeDuration = TimeSpan.FromMinutes(challengeMinutes),
            MinChallengeDuration = TimeSpan.FromMinutes(minMinutes),
            ChainPollInterval = TimeSpan.FromSeconds(pollSeconds / 60),
        };
        Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
    }

    [Fact]
    public void Options_MinimumShorterThanFourPolls_Refused()
    {
        var options = new StateChannelClientOptions
        {
            ChallengeDuration = TimeSpan.FromMinutes(2),
            MinChallengeDuration = TimeSpan.FromMinutes(2),
            ChainPollInterval = TimeSpan.FromMinutes(1),
        };
        var e = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(nameof(StateChannelClientOptions.MinChallengeDuration), e.ParamName);
    }

    [Theory]
    [InlineData(1UL)] // a wei ahead of each deposit
    [InlineData(1_500UL)] // more than the victim's whole funding, ahead of its deposit
    public async Task Funding_ThirdPartyFrontRunsEveryDeposit_ChannelStillActiveAndPaysOut(ulong grief)
    {
        // A griefer deposits for the same participant just before each of its deposits, after the
        // participant read what it holds: exactly where a front-runner lands.
        var griefer = _chain.For(PrivateKey.Create().Address);
        var aliceKey = PrivateKey.Create();
        var carolKey = PrivateKey.Create();
        var aliceChain = new FrontRunning(_chain.For(aliceKey.Address), griefer, grief);
        var carolChain = new FrontRunning(_chain.For(carolKey.Address), griefer, grief);
        await using var alice = await Party.CreateAsync("alice", _chain, adjudicator: aliceChain, keyOf: aliceKey);
        await using var carol = await Party.CreateAsync("carol", _chain, adjudicator: carolChain, keyOf: carolKey);
        Party.Connect(alice, carol);

        var a = await alice.Client.OpenChannelAsync(carol.Address, 1_000, 1_000).WaitAsync(Limit);
        Assert.Equal(ChannelPhase.Active, a.Phase);
        await a.PayAsync(300).WaitAsync(Limit);
        await a.CloseAsync().WaitAsync(Limit);

        // Each got its balance plus whatever the griefer deposited beyond its funding; one deposit each.
        var extra = grief > 1_000 ? grief - 1_000 : 0;
        Assert.Equal(new Amount(700 + extra), _chain.BalanceOf(alice.Address, EthAddress.Zero));
        Assert.Equal(new Amount(1_300 + extra), _chain.BalanceOf(carol.Address, EthAddress.Zero));
        Assert.Equal(1, aliceChain.Deposits);
        Assert.Equal(1, carolChain.Deposits);
    }

    /// <summary>Lets a griefer deposit <c>grief</c> for the participant right before each of its deposits.</summary>
    private sealed class FrontRunning(SimulatedAdjudicator inner, SimulatedAdjudicator griefer, ulong grief) : DelegatingAdjudicator(inner)
    {
        public int Deposits { get; private set; }

        public override async ValueTask DepositAsync(ChannelParams channel, int index, Amount expectedHeld, Amount amount, CancellationToken cancellationToken = default)
        {
            Deposits++;
            await griefer.DepositAsync(channel, index, expectedHeld, grief, cancellationToken);
            await Inner.DepositAsync(channel, index, expectedHeld, amount, cancellationToken);
        }
    }
}

namespace StateChannels.Tests.Channels;

public class ChannelParamsTests
{
    private static readonly EthAddress Alice = EthAddress.Parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
    private static readonly EthAddress Bob = EthAddress.Parse("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359");
    private static readonly Amount Limit = new(UInt128.One << 120);

    private static ChannelParams Make(
        EthAddress? p0 = null,
        EthAddress? p1 = null,
        ulong duration = 3600,
        Amount? funding0 = null,
        Amount? funding1 = null) =>
        new(p0 ?? Alice, p1 ?? Bob, EthAddress.Zero, duration, Hash32.Parse("0x" + new string('1', 64)), funding0 ?? 100UL, funding1 ?? 0UL);

    [Fact]
    public void Validate_TypicalParams_Passes()
    {
        ChannelParams p = Make();
        p.Validate();
        Assert.True(p.IsValid(out string? error));
        Assert.Null(error);
        Assert.True(p.IsEth);
        Assert.Equal(new Amount(100), p.GetTotal());
    }

    [Fact]
    public void Validate_Boundaries_Pass()
    {
        Make(duration: ChannelParams.MinChallengeDurationSeconds).Validate();
        Make(duration: ChannelParams.MaxChallengeDurationSeconds).Validate();
        Make(funding0: Limit.Subtract(1UL), funding1: Limit.Subtract(1UL)).Validate();
        Make(funding0: 0UL, funding1: 1UL).Validate();
    }

    public static TheoryData<string, ChannelParams> InvalidCases => new()
    {
        { "zero participant0", Make(p0: EthAddress.Zero) },
        { "zero participant1", Make(p1: EthAddress.Zero) },
        { "same participants", Make(p1: Alice) },
        { "zero duration", Make(duration: 0) },
        { "1 second duration", Make(duration: 1) },
        { "duration just below the 60 s floor", Make(duration: ChannelParams.MinChallengeDurationSeconds - 1) },
        { "duration over 365 days", Make(duration: ChannelParams.MaxChallengeDurationSeconds + 1) },
        { "duration uint64 max", Make(duration: ulong.MaxValue) },
        { "funding0 at 2^120", Make(funding0: Limit) },
        { "funding1 at 2^120", Make(funding1: Limit) },
        { "funding at 2^128-1", Make(funding0: Amount.MaxValue) },
        { "zero total", Make(funding0: 0UL, funding1: 0UL) },
    };

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void Validate_BrokenRule_ThrowsInvalidParams(string rule, ChannelParams p)
    {
        var ex = Assert.Throws<StateChannelException>(p.Validate);
        Assert.Equal(ErrorCode.InvalidParams, ex.Code);
        Assert.False(p.IsValid(out string? error), rule);
        Assert.NotNull(error);
    }

    [Fact]
    public void ChallengeDurationFloor_Is60Seconds_LikeTheContract()
    {
        // The contract's MIN_CHALLENGE_DURATION (contracts/src/Adjudicator.sol); EthereumAdjudicatorTests checks the deployed one.
        Assert.Equal(60UL, ChannelParams.MinChallengeDurationSeconds);
        Assert.False(Make(duration: 59).IsValid(out var error));
        Assert.Equal("the challenge duration must be at least 60 seconds", error);
        Assert.True(Make(duration: 60).IsValid(out _));
        Assert.True(new ChannelParams(Alice, Bob, EthAddress.Zero, TimeSpan.FromMinutes(1), Hash32.Zero, 1UL, 0UL).IsValid(out _));
    }

    [Fact]
    public void Constructor_TimeSpan_StoresWholeSeconds()
    {
        var p = new ChannelParams(Alice, Bob, EthAddress.Zero, TimeSpan.FromHours(1), Hash32.Zero, 1UL, 0UL);
        Assert.Equal(3600UL, p.ChallengeDurationSeconds);
        Assert.Equal(TimeSpan.FromHours(1), p.ChallengeDuration);
    }

    [Fact]
    public void Constructor_FractionalOrNegativeTimeSpan_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChannelParams(Alice, Bob, EthAddress.Zero, TimeSpan.FromMilliseconds(1500), Hash32.Zero, 1UL, 0UL));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChannelParams(Alice, Bob, EthAddress.Zero, TimeSpan.FromSeconds(-1), Hash32.Zero, 1UL, 0UL));
    }

    [Fact]
    public void ChallengeDuration_HugeSeconds_Saturates() =>
        Assert.Equal(TimeSpan.MaxValue, Make(duration: ulong.MaxValue).ChallengeDuration);

    [Fact]
    public void GetTotal_Overflow_ThrowsInsufficientFunds() =>
        Assert.Equal(ErrorCode.InsufficientFunds, Assert.Throws<StateChannelException>(() => Make(funding0: Amount.MaxValue, funding1: 1UL).GetTotal()).Code);

    [Fact]
    public void IndexOf_Participants_ReturnsIndex()
    {
        ChannelParams p = Make();
        Assert.Equal(0, p.IndexOf(Alice));
        Assert.Equal(1, p.IndexOf(Bob));
        Assert.Equal(-1, p.IndexOf(EthAddress.Zero));
    }

    [Fact]
    public void Equals_SameFields_EqualAndSameHash()
    {
        Assert.Equal(Make(), Make());
        Assert.Equal(Make().GetHashCode(), Make().GetHashCode());
        Assert.NotEqual(Make(), Make(duration: 3601));
        Assert.NotEqual(Make(), Make(funding1: 1UL));
        Assert.False(Make().Equals(null));
    }
}

using System.Numerics;
using StateChannels.Ethereum.Internal;

namespace StateChannels.Ethereum.Tests.Transactions;

/// <summary>The fee policy: initial bid, replacements a node accepts, the cap, and urgency near a deadline.</summary>
public sealed class FeePolicyTests
{
    private static readonly BigInteger Gwei = 1_000_000_000;
    private static readonly BigInteger Cap = 1_000 * Gwei;
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    [Fact]
    public void Initial_TwiceBaseFeePlusTip()
    {
        var fees = FeePolicy.Initial(10 * Gwei, 2 * Gwei, Cap);

        Assert.Equal(new Fees(22 * Gwei, 2 * Gwei), fees);
    }

    [Fact]
    public void Initial_AboveCap_IsCappedAndTipNeverExceedsMaxFee()
    {
        var fees = FeePolicy.Initial(800 * Gwei, 900 * Gwei, Cap);
        var tipAboveCap = FeePolicy.Initial(1 * Gwei, 1_200 * Gwei, Cap);

        Assert.Equal(new Fees(Cap, 900 * Gwei), fees);
        Assert.Equal(new Fees(Cap, Cap), tipAboveCap);
    }

    [Fact]
    public void Initial_ZeroTipSuggestion_TipsOneWei()
    {
        Assert.Equal(BigInteger.One, FeePolicy.Initial(7, 0, Cap).MaxPriorityFeePerGas);
    }

    [Fact]
    public void Bump_NoDeadline_RaisesBothFieldsBy12Point5PercentRoundedUp()
    {
        var current = new Fees(20 * Gwei + 1, 2 * Gwei + 1);

        var bumped = FeePolicy.Bump(current, fresh: new Fees(1, 1), remaining: null, Interval, Cap)!.Value;

        Assert.Equal(((20 * Gwei + 1) * 1125 + 999) / 1000, bumped.MaxFeePerGas);
        Assert.Equal(((2 * Gwei + 1) * 1125 + 999) / 1000, bumped.MaxPriorityFeePerGas);

        // geth's replacement rule: both fields at least +10%.
        Assert.True(bumped.MaxFeePerGas * 10 >= current.MaxFeePerGas * 11);
        Assert.True(bumped.MaxPriorityFeePerGas * 10 >= current.MaxPriorityFeePerGas * 11);
    }

    [Fact]
    public void Bump_TinyFees_StillRiseByAtLeastOneWei()
    {
        var bumped = FeePolicy.Bump(new Fees(2, 1), new Fees(1, 1), null, Interval, Cap)!.Value;

        Assert.Equal(new Fees(3, 2), bumped);
    }

    [Fact]
    public void Bump_MarketMovedMoreThanAStep_FollowsTheFreshSuggestion()
    {
        var bumped = FeePolicy.Bump(new Fees(20 * Gwei, 2 * Gwei), new Fees(90 * Gwei, 3 * Gwei), null, Interval, Cap)!.Value;

        Assert.Equal(90 * Gwei, bumped.MaxFeePerGas);
        Assert.Equal(3 * Gwei, bumped.MaxPriorityFeePerGas);
    }

    [Fact]
    public void Bump_NearDeadline_StepsBy50Percent()
    {
        var current = new Fees(20 * Gwei, 2 * Gwei);

        var relaxed = FeePolicy.Bump(current, new Fees(1, 1), TimeSpan.FromHours(1), Interval, Cap)!.Value;
        var urgent = FeePolicy.Bump(current, new Fees(1, 1), Interval * 2, Interval, Cap)!.Value;
        var late = FeePolicy.Bump(current, new Fees(1, 1), -TimeSpan.FromSeconds(5), Interval, Cap)!.Value;

        Assert.Equal(new Fees(22_500_000_000, 2_250_000_000), relaxed);
        Assert.Equal(new Fees(30 * Gwei, 3 * Gwei), urgent);
        Assert.Equal(urgent, late);
    }

    [Fact]
    public void Bump_ClampedToCap_WhileStillAValidReplacement()
    {
        var bumped = FeePolicy.Bump(new Fees(880 * Gwei, 10 * Gwei), new Fees(1, 1), Interval, Interval, Cap)!.Value;

        Assert.Equal(Cap, bumped.MaxFeePerGas);
        Assert.Equal(15 * Gwei, bumped.MaxPriorityFeePerGas);
    }

    [Fact]
    public void Bump_CapLeavesNoRoomForAValidReplacement_ReturnsNull()
    {
        Assert.Null(FeePolicy.Bump(new Fees(950 * Gwei, 10 * Gwei), new Fees(1, 1), null, Interval, Cap));
        Assert.Null(FeePolicy.Bump(new Fees(Cap, Cap), new Fees(Cap, Cap), Interval, Interval, Cap));
    }

    [Fact]
    public void BumpInterval_ShrinksToAQuarterOfTheTimeLeft_NeverBelowThePollInterval()
    {
        Assert.Equal(Interval, FeePolicy.BumpInterval(null, Interval, Poll));
        Assert.Equal(Interval, FeePolicy.BumpInterval(TimeSpan.FromHours(2), Interval, Poll));
        Assert.Equal(TimeSpan.FromSeconds(30), FeePolicy.BumpInterval(TimeSpan.FromMinutes(2), Interval, Poll));
        Assert.Equal(TimeSpan.FromSeconds(5), FeePolicy.BumpInterval(TimeSpan.FromSeconds(20), Interval, Poll));
        Assert.Equal(Poll, FeePolicy.BumpInterval(TimeSpan.FromSeconds(2), Interval, Poll));
        Assert.Equal(Poll, FeePolicy.BumpInterval(-TimeSpan.FromSeconds(2), Interval, Poll));
    }

    [Fact]
    public void Policy_DeadlineApproaching_ReachesTheCapSoonerThanWithout()
    {
        // Simulated chain time: bump whenever the interval has passed, and count the bumps until
        // the cap is reached, with and without a deadline ten minutes away.
        static (int Bumps, TimeSpan Elapsed) RunToCap(DateTimeOffset? deadline)
        {
            var now = DateTimeOffset.UnixEpoch;
            var fees = FeePolicy.Initial(10 * Gwei, Gwei, Cap);
            var bumps = 0;
            var started = now;
            while (true)
            {
                var remaining = deadline - now;
                now += FeePolicy.BumpInterval(remaining, Interval, Poll);
                remaining = deadline - now;
                if (FeePolicy.Bump(fees, new Fees(1, 1), remaining, Interval, Cap) is not { } next)
                {
                    return (bumps, now - started);
                }

                fees = next;
                bumps++;
            }
        }

        var relaxed = RunToCap(null);
        var urgent = RunToCap(DateTimeOffset.UnixEpoch + TimeSpan.FromMinutes(10));

        Assert.True(urgent.Elapsed < relaxed.Elapsed / 2, $"urgent {urgent.Elapsed} vs relaxed {relaxed.Elapsed}");
        Assert.True(urgent.Bumps < relaxed.Bumps, $"urgent {urgent.Bumps} bumps vs relaxed {relaxed.Bumps}");
    }
}

using System.Numerics;

namespace StateChannels.Ethereum.Internal;

/// <summary>
/// How much to bid and when to bid more. Pure functions of their inputs, so the policy is unit-tested
/// without a node or a clock.
/// <para>Initial bid: the node's suggested tip, and a max fee of twice the head's base fee plus the tip
/// (room for six full blocks of base-fee growth at 12.5% each), capped at
/// <see cref="EthereumAdjudicatorOptions.MaxFeePerGas"/>.</para>
/// <para>Replacement: a node accepts a transaction at a used nonce only if both fee fields rise by its
/// replacement minimum (geth and anvil: 10%). We bid +12.5% on both (rounded up) — or the fresh
/// suggestion when that is higher — every <see cref="EthereumAdjudicatorOptions.FeeBumpInterval"/>.
/// With a deadline (a refutation must land before the challenge deadline), the interval shrinks to a
/// quarter of the chain time left, and within two intervals of the deadline each step is +50%.
/// Never above the cap; when the cap leaves no room for a valid replacement there is no bump.</para>
/// </summary>
internal static class FeePolicy
{
    /// <summary>The usual step, in per-mille (12.5%): above every common node's replacement minimum (10%).</summary>
    public const int BumpPerMille = 125;

    /// <summary>The step close to a deadline, in per-mille (50%).</summary>
    public const int UrgentBumpPerMille = 500;

    /// <summary>The first bid for a new transaction.</summary>
    public static Fees Initial(BigInteger baseFee, BigInteger suggestedPriorityFee, BigInteger cap)
    {
        var priority = BigInteger.Max(suggestedPriorityFee, BigInteger.One);
        var max = BigInteger.Min(baseFee * 2 + priority, cap);
        return new Fees(max, BigInteger.Min(priority, max));
    }

    /// <summary>
    /// The replacement bid for <paramref name="current"/>, or null when the cap leaves no room for one
    /// that a node would accept (both fields at least +<see cref="BumpPerMille"/>‰).
    /// </summary>
    /// <param name="current">The fees of the transaction being replaced.</param>
    /// <param name="fresh">What <see cref="Initial"/> would bid now (followed when the market moved more than a step).</param>
    /// <param name="remaining">Chain time left before the operation's deadline; null when it has none.</param>
    /// <param name="interval">The configured bump interval (defines "close to the deadline").</param>
    /// <param name="cap">The most we pay per gas.</param>
    public static Fees? Bump(Fees current, Fees fresh, TimeSpan? remaining, TimeSpan interval, BigInteger cap)
    {
        var step = IsUrgent(remaining, interval) ? UrgentBumpPerMille : BumpPerMille;
        var max = BigInteger.Min(BigInteger.Max(Raise(current.MaxFeePerGas, step), fresh.MaxFeePerGas), cap);
        var priority = BigInteger.Min(BigInteger.Max(Raise(current.MaxPriorityFeePerGas, step), fresh.MaxPriorityFeePerGas), max);
        if (max < Raise(current.MaxFeePerGas, BumpPerMille) || priority < Raise(current.MaxPriorityFeePerGas, BumpPerMille))
        {
            return null;
        }

        return new Fees(max, priority);
    }

    /// <summary>
    /// How long to wait for a transaction before bidding more: <paramref name="interval"/>, or with a
    /// deadline a quarter of the time left, never below <paramref name="floor"/> (the poll interval).
    /// </summary>
    public static TimeSpan BumpInterval(TimeSpan? remaining, TimeSpan interval, TimeSpan floor)
    {
        if (remaining is not { } left)
        {
            return interval;
        }

        var quarter = left <= TimeSpan.Zero ? TimeSpan.Zero : left / 4;
        return quarter < interval ? (quarter < floor ? floor : quarter) : interval;
    }

    /// <summary>Whether the deadline is within two bump intervals (or passed).</summary>
    public static bool IsUrgent(TimeSpan? remaining, TimeSpan interval) => remaining is { } left && left <= interval * 2;

    /// <summary><paramref name="value"/> raised by <paramref name="perMille"/>‰, rounded up, and by at least 1 wei.</summary>
    public static BigInteger Raise(BigInteger value, int perMille) =>
        BigInteger.Max(value + 1, (value * (1000 + perMille) + 999) / 1000);
}

using System.Diagnostics.CodeAnalysis;

namespace StateChannels;

/// <summary>
/// The parameters of a channel, fixed at open and never changed (Solidity <c>Params</c> in
/// docs/encoding.md). Immutable; value equality. The constructor accepts any values so that a
/// peer's proposal can be represented and then checked with <see cref="Validate"/>.
/// </summary>
public sealed class ChannelParams : IEquatable<ChannelParams>
{
    /// <summary>
    /// The shortest challenge duration the contract accepts: 60 seconds (its <c>MIN_CHALLENGE_DURATION</c>),
    /// a backstop against a channel whose dispute ends before any watcher can react. It is a floor, not a
    /// recommendation: a channel needs a challenge period long enough for its watcher on its chain.
    /// </summary>
    public const ulong MinChallengeDurationSeconds = 60;

    /// <summary>The longest allowed challenge duration: 365 days (31,536,000 seconds).</summary>
    public const ulong MaxChallengeDurationSeconds = 31_536_000;

    /// <summary>Each funding must be strictly below this: 2^120 (so the total never overflows on chain).</summary>
    public static Amount FundingLimit { get; } = new(UInt128.One << 120);

    /// <summary>Creates parameters with the challenge duration in seconds (as the contract stores it).</summary>
    /// <param name="participant0">The opener.</param>
    /// <param name="participant1">The other participant.</param>
    /// <param name="asset"><see cref="EthAddress.Zero"/> for ETH, otherwise the ERC-20 token.</param>
    /// <param name="challengeDurationSeconds">Seconds a registered state can be refuted; valid range 60..31,536,000.</param>
    /// <param name="nonce">A random value chosen by the opener (see <see cref="Hash32.CreateRandom"/>).</param>
    /// <param name="funding0">What participant 0 deposits; version 0 gives it exactly this.</param>
    /// <param name="funding1">What participant 1 deposits.</param>
    public ChannelParams(
        EthAddress participant0,
        EthAddress participant1,
        EthAddress asset,
        ulong challengeDurationSeconds,
        Hash32 nonce,
        Amount funding0,
        Amount funding1)
    {
        Participant0 = participant0;
        Participant1 = participant1;
        Asset = asset;
        ChallengeDurationSeconds = challengeDurationSeconds;
        Nonce = nonce;
        Funding0 = funding0;
        Funding1 = funding1;
    }

    /// <summary>Creates parameters with the challenge duration as a <see cref="TimeSpan"/> of whole seconds.</summary>
    /// <param name="participant0">The opener.</param>
    /// <param name="participant1">The other participant.</param>
    /// <param name="asset"><see cref="EthAddress.Zero"/> for ETH, otherwise the ERC-20 token.</param>
    /// <param name="challengeDuration">Time a registered state can be refuted; whole seconds, valid range 60 s..365 days.</param>
    /// <param name="nonce">A random value chosen by the opener (see <see cref="Hash32.CreateRandom"/>).</param>
    /// <param name="funding0">What participant 0 deposits; version 0 gives it exactly this.</param>
    /// <param name="funding1">What participant 1 deposits.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="challengeDuration"/> is negative or not whole seconds.</exception>
    public ChannelParams(
        EthAddress participant0,
        EthAddress participant1,
        EthAddress asset,
        TimeSpan challengeDuration,
        Hash32 nonce,
        Amount funding0,
        Amount funding1)
        : this(participant0, participant1, asset, ToSeconds(challengeDuration), nonce, funding0, funding1)
    {
    }

    /// <summary>Participant 0, the opener.</summary>
    public EthAddress Participant0 { get; }

    /// <summary>Participant 1.</summary>
    public EthAddress Participant1 { get; }

    /// <summary>The asset: <see cref="EthAddress.Zero"/> for ETH, otherwise an ERC-20 token.</summary>
    public EthAddress Asset { get; }

    /// <summary>Whether the asset is ETH.</summary>
    public bool IsEth => Asset.IsZero;

    /// <summary>The challenge duration in seconds (the contract's <c>uint64 challengeDuration</c>).</summary>
    public ulong ChallengeDurationSeconds { get; }

    /// <summary>The challenge duration; saturates at <see cref="TimeSpan.MaxValue"/> for out-of-range (invalid) values.</summary>
    public TimeSpan ChallengeDuration =>
        ChallengeDurationSeconds <= (ulong)TimeSpan.MaxValue.TotalSeconds - 1
            ? TimeSpan.FromSeconds((long)ChallengeDurationSeconds)
            : TimeSpan.MaxValue;

    /// <summary>The opener's random nonce (the contract's <c>uint256 nonce</c>, big-endian).</summary>
    public Hash32 Nonce { get; }

    /// <summary>What participant 0 deposits.</summary>
    public Amount Funding0 { get; }

    /// <summary>What participant 1 deposits.</summary>
    public Amount Funding1 { get; }

    /// <summary>The channel's total, <c>funding0 + funding1</c>: every valid state's balances sum to it.</summary>
    /// <returns>The total.</returns>
    /// <exception cref="StateChannelException">The sum overflows (only possible for invalid params) (<see cref="ErrorCode.InsufficientFunds"/>).</exception>
    public Amount GetTotal() => Funding0.Add(Funding1);

    /// <summary>The index (0 or 1) of <paramref name="participant"/>, or -1 when it is not a participant.</summary>
    /// <param name="participant">The address to look up.</param>
    /// <returns>0, 1 or -1.</returns>
    public int IndexOf(EthAddress participant) =>
        participant == Participant0 ? 0 : participant == Participant1 ? 1 : -1;

    /// <summary>Checks the rules of docs/encoding.md without throwing.</summary>
    /// <param name="error">Which rule is broken, or <see langword="null"/> when valid.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public bool IsValid([NotNullWhen(false)] out string? error)
    {
        error =
            Participant0.IsZero || Participant1.IsZero ? "participants must be non-zero addresses"
            : Participant0 == Participant1 ? "participants must be distinct"
            : ChallengeDurationSeconds < MinChallengeDurationSeconds ? "the challenge duration must be at least 60 seconds"
            : ChallengeDurationSeconds > MaxChallengeDurationSeconds ? "the challenge duration must be at most 365 days"
            : Funding0 >= FundingLimit || Funding1 >= FundingLimit ? "each funding must be below 2^120"
            : Funding0.IsZero && Funding1.IsZero ? "the total funding must be positive"
            : null;
        return error is null;
    }

    /// <summary>
    /// Enforces docs/encoding.md: participants non-zero and distinct, 60 &lt;= challenge duration
    /// &lt;= 31,536,000 s, each funding &lt; 2^120, total funding &gt; 0.
    /// </summary>
    /// <exception cref="StateChannelException">A rule is broken (<see cref="ErrorCode.InvalidParams"/>).</exception>
    public void Validate()
    {
        if (!IsValid(out string? error))
        {
            throw new StateChannelException(ErrorCode.InvalidParams, $"Invalid channel params: {error}.");
        }
    }

    /// <summary>Whether every field is equal.</summary>
    /// <param name="other">The params to compare with.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public bool Equals([NotNullWhen(true)] ChannelParams? other) =>
        other is not null
        && Participant0 == other.Participant0
        && Participant1 == other.Participant1
        && Asset == other.Asset
        && ChallengeDurationSeconds == other.ChallengeDurationSeconds
        && Nonce == other.Nonce
        && Funding0 == other.Funding0
        && Funding1 == other.Funding1;

    /// <summary>Whether <paramref name="obj"/> is equal params.</summary>
    /// <param name="obj">The object to compare with.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public override bool Equals(object? obj) => Equals(obj as ChannelParams);

    /// <summary>A hash code of all fields.</summary>
    /// <returns>The hash code.</returns>
    public override int GetHashCode() =>
        HashCode.Combine(Participant0, Participant1, Asset, ChallengeDurationSeconds, Nonce, Funding0, Funding1);

    /// <summary>A readable summary of the params.</summary>
    /// <returns>The summary.</returns>
    public override string ToString() =>
        $"ChannelParams {{ Participant0 = {Participant0}, Participant1 = {Participant1}, Asset = {Asset}, ChallengeDuration = {ChallengeDurationSeconds}s, Nonce = {Nonce}, Funding0 = {Funding0}, Funding1 = {Funding1} }}";

    private static ulong ToSeconds(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero || duration.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "The challenge duration must be a non-negative whole number of seconds.");
        }

        return (ulong)(duration.Ticks / TimeSpan.TicksPerSecond);
    }
}

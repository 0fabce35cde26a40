namespace StateChannels;

/// <summary>
/// A channel state, the thing both participants sign (Solidity <c>State</c> in docs/encoding.md).
/// Immutable with value equality; use <c>with</c> to derive the next state. A state is valid for
/// a channel when <c>Balance0 + Balance1</c> equals the params' total.
/// </summary>
/// <param name="ChannelId">The channel this state belongs to.</param>
/// <param name="Version">0 is the opening state; each update increases it by one.</param>
/// <param name="Balance0">Participant 0's balance.</param>
/// <param name="Balance1">Participant 1's balance.</param>
/// <param name="IsFinal">True only on a cooperative-close state.</param>
public readonly record struct ChannelState(ChannelId ChannelId, ulong Version, Amount Balance0, Amount Balance1, bool IsFinal)
{
    /// <summary>The opening state (version 0) of a channel: each participant holds what it funds.</summary>
    /// <param name="channelId">The channel's id.</param>
    /// <param name="parameters">The channel's params.</param>
    /// <returns>Version 0, balances equal to the fundings, not final.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    public static ChannelState Opening(ChannelId channelId, ChannelParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new ChannelState(channelId, 0, parameters.Funding0, parameters.Funding1, IsFinal: false);
    }

    /// <summary>The balance of participant <paramref name="index"/>.</summary>
    /// <param name="index">0 or 1.</param>
    /// <returns>The balance.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not 0 or 1.</exception>
    public Amount BalanceOf(int index) => index switch
    {
        0 => Balance0,
        1 => Balance1,
        _ => throw new ArgumentOutOfRangeException(nameof(index), index, "A participant index is 0 or 1."),
    };
}

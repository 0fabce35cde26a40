namespace StateChannels;

/// <summary>
/// The payment rule, in one place (go-perun's <c>ValidTransition</c>): which states a party may
/// sign as responder, and which states are well-formed in a channel at all. Pure functions.
/// </summary>
public static class TransitionRules
{
    /// <summary>
    /// Checks that <paramref name="state"/> is well-formed for the channel: its id, and balances
    /// that add up to the funding total (Adjudicator: <c>balance0 + balance1 == funding0 + funding1</c>).
    /// </summary>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.InvalidTransition"/> when not.</exception>
    public static void EnsureWellFormed(ChannelId id, ChannelParams channel, ChannelState state)
    {
        if (state.ChannelId != id)
        {
            throw Invalid($"state is for channel {state.ChannelId}, not {id}");
        }

        if (!SumsTo(state, channel.Funding0, channel.Funding1))
        {
            throw Invalid($"balances {state.Balance0} + {state.Balance1} do not add up to the channel total");
        }
    }

    /// <summary>
    /// Checks that the responder (participant <paramref name="responderIndex"/>) may sign
    /// <paramref name="next"/> on top of the latest fully signed <paramref name="latest"/>:
    /// the version is exactly <paramref name="expectedVersion"/>, the channel and total are kept,
    /// money flows only toward the responder (invariant 3), and a final state keeps the balances
    /// as they are. A no-op non-final update is refused (it would only burn a version).
    /// </summary>
    /// <param name="id">The channel id.</param>
    /// <param name="channel">The channel's params.</param>
    /// <param name="latest">The latest fully signed state.</param>
    /// <param name="next">The state to sign.</param>
    /// <param name="expectedVersion">The version <paramref name="next"/> must have.</param>
    /// <param name="responderIndex">The responder's participant index.</param>
    /// <param name="unsettled">
    /// The highest state the responder signed, if it is above <paramref name="latest"/>: the peer holds
    /// our signature on it and may still complete it, whatever it says. Above a final one only the
    /// same close again is signed: the peer could close with it at once and take back anything else
    /// we signed above it. (A non-final one may be passed over: a state below one we signed is never
    /// adopted, <see cref="MayAdoptBelowSigned"/>.)
    /// </param>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.InvalidTransition"/> naming the broken rule.</exception>
    public static void EnsureValidTransition(
        ChannelId id, ChannelParams channel, ChannelState latest, ChannelState next, ulong expectedVersion, int responderIndex,
        ChannelState? unsettled = null)
    {
        EnsureWellFormed(id, channel, next);
        if (latest.IsFinal)
        {
            throw Invalid($"version {latest.Version} is final: the channel takes no more updates");
        }

        if (unsettled is { } pending && pending.Version > latest.Version)
        {
            if (pending.IsFinal && !(next.IsFinal && next.Balance0 == pending.Balance0 && next.Balance1 == pending.Balance1))
            {
                // Only the same close again (an honest closer that restarted before our answer):
                // whichever of the two reaches the chain pays the same.
                throw Invalid($"we signed the final state at version {pending.Version}: the channel takes no more updates");
            }

        }

        if (next.Version != expectedVersion)
        {
            throw Invalid($"version {next.Version} proposed; expected {expectedVersion}");
        }

        var before = BalanceOf(latest, responderIndex);
        var after = BalanceOf(next, responderIndex);
        if (next.IsFinal)
        {
            if (next.Balance0 != latest.Balance0 || next.Balance1 != latest.Balance1)
            {
                throw Invalid("a final state must keep the balances of the latest state");
            }

            return;
        }

        if (after < before)
        {
            throw Invalid($"the update moves {before - after} away from the responder");
        }

        if (after == before)
        {
            throw Invalid("the update moves no money");
        }
    }

    /// <summary>
    /// Whether participant <paramref name="index"/> may adopt (and count) the fully signed
    /// <paramref name="state"/> given <paramref name="signed"/>, the highest state it signed: only if
    /// <paramref name="state"/> is not below it. The peer may hold, fully signed, any of the states we
    /// signed between them (the store keeps only the highest), and any of those wins on chain over a
    /// lower one: counting the lower one could count money it takes back. An honest peer never needs
    /// it: it presents its latest before proposing above it, so we never sign above a state it
    /// completed without having it. (<paramref name="index"/> is kept for the callers' symmetry.)
    /// </summary>
    public static bool MayAdoptBelowSigned(ChannelState state, ChannelState signed, int index) =>
        signed.Version <= state.Version;

    /// <summary>The balance of participant <paramref name="index"/> in <paramref name="state"/>.</summary>
    public static Amount BalanceOf(ChannelState state, int index) => index switch
    {
        0 => state.Balance0,
        1 => state.Balance1,
        _ => throw new ArgumentOutOfRangeException(nameof(index), index, "participant index is 0 or 1"),
    };

    /// <summary>
    /// The state that pays <paramref name="amount"/> from participant <paramref name="payerIndex"/>
    /// to the other one, at <paramref name="version"/>.
    /// </summary>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.InsufficientFunds"/> when the payer's balance does not cover it.</exception>
    public static ChannelState Pay(ChannelState latest, int payerIndex, Amount amount, ulong version)
    {
        var payer = BalanceOf(latest, payerIndex);
        if (amount > payer)
        {
            throw new StateChannelException(ErrorCode.InsufficientFunds, $"balance {payer} does not cover {amount}");
        }

        var b0 = payerIndex == 0 ? latest.Balance0 - amount : latest.Balance0 + amount;
        var b1 = payerIndex == 0 ? latest.Balance1 + amount : latest.Balance1 - amount;
        return new ChannelState(latest.ChannelId, version, b0, b1, IsFinal: false);
    }

    private static bool SumsTo(ChannelState state, Amount funding0, Amount funding1)
    {
        // Fundings are < 2^120 each, so their sum cannot overflow; the balances come from a peer
        // and could wrap around if added, so compare without adding them.
        var total = funding0.Value + funding1.Value;
        return state.Balance0.Value <= total && state.Balance1.Value == total - state.Balance0.Value;
    }

    private static StateChannelException Invalid(string message) => new(ErrorCode.InvalidTransition, message);
}

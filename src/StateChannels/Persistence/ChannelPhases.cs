namespace StateChannels;

/// <summary>The checked transition table of <see cref="ChannelPhase"/>.</summary>
public static class ChannelPhases
{
    /// <summary>Whether a channel may move from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static bool CanMove(ChannelPhase from, ChannelPhase to) => (from, to) switch
    {
        (ChannelPhase.Proposed, ChannelPhase.Funding) => true,
        (ChannelPhase.Proposed, ChannelPhase.Aborted) => true,
        (ChannelPhase.Proposed, ChannelPhase.Disputed) => true, // the peer registered the version 0 we signed before it confirmed it
        (ChannelPhase.Proposed, ChannelPhase.Closed) => true, // ... and concluded it
        (ChannelPhase.Funding, ChannelPhase.Active) => true,
        (ChannelPhase.Funding, ChannelPhase.Aborted) => true,
        (ChannelPhase.Funding, ChannelPhase.Disputed) => true,
        (ChannelPhase.Active, ChannelPhase.Closing) => true,
        (ChannelPhase.Active, ChannelPhase.Closed) => true, // the chain says so (the peer concluded without us)
        (ChannelPhase.Funding, ChannelPhase.Closed) => true,
        (ChannelPhase.Active, ChannelPhase.Disputed) => true,
        (ChannelPhase.Closing, ChannelPhase.Disputed) => true,
        (ChannelPhase.Closing, ChannelPhase.Closed) => true,
        (ChannelPhase.Disputed, ChannelPhase.Closed) => true,
        (ChannelPhase.Aborted, ChannelPhase.Disputed) => true,
        (ChannelPhase.Aborted, ChannelPhase.Closed) => true,
        _ => from == to,
    };

    /// <summary>
    /// Whether the channel still takes off-chain updates in <paramref name="phase"/>: signing, adopting
    /// or counting a state. Not once the chain decides (Disputed, Closed, Aborted).
    /// </summary>
    public static bool TakesUpdates(ChannelPhase phase) =>
        phase is ChannelPhase.Proposed or ChannelPhase.Funding or ChannelPhase.Active or ChannelPhase.Closing;

    /// <summary>Throws <see cref="StateChannelException"/> (<see cref="ErrorCode.WrongPhase"/>) unless the move is allowed.</summary>
    public static void EnsureCanMove(ChannelId id, ChannelPhase from, ChannelPhase to)
    {
        if (!CanMove(from, to))
        {
            throw new StateChannelException(ErrorCode.WrongPhase, $"channel {id}: cannot move from {from} to {to}");
        }
    }

    /// <summary>Throws <see cref="StateChannelException"/> (<see cref="ErrorCode.WrongPhase"/>) unless <paramref name="actual"/> is one of <paramref name="expected"/>.</summary>
    public static void Ensure(ChannelId id, ChannelPhase actual, params ReadOnlySpan<ChannelPhase> expected)
    {
        foreach (var e in expected)
        {
            if (e == actual)
            {
                return;
            }
        }

        throw new StateChannelException(
            ErrorCode.WrongPhase, $"channel {id} is {actual}; expected {string.Join(" or ", expected.ToArray())}");
    }
}

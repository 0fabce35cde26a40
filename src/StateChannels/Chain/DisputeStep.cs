namespace StateChannels;

/// <summary>What one dispute step did on chain.</summary>
internal enum DisputeOutcome
{
    /// <summary>Nothing changed: the contract refused (a conclude before the deadline, or a competing transaction won).</summary>
    Refused,

    /// <summary>Our strictly higher state replaced the registered one.</summary>
    Refuted,

    /// <summary>The channel was concluded and paid out.</summary>
    Concluded,
}

/// <summary>
/// The one dispute step of the client's watcher and of the watchtower, given a registered version
/// and the latest fully signed state we hold: refute with it if it is strictly higher; otherwise,
/// or if the refute is refused (its deadline has passed), try to conclude. Concluding before the
/// deadline is refused by the node's estimate and costs nothing; concluding after it is always safe,
/// since nobody can refute any more. Without the fall-through a holder of a higher state whose
/// refute came too late would try it again forever and never conclude.
/// </summary>
internal static class DisputeStep
{
    public static async Task<DisputeOutcome> RunAsync(
        IAdjudicator chain, ChannelParams channel, SignedState? latest, ulong registered, CancellationToken cancellationToken)
    {
        if (latest is { } ours && ours.State.Version > registered)
        {
            try
            {
                await chain.RegisterAsync(channel, ours, cancellationToken).ConfigureAwait(false);
                return DisputeOutcome.Refuted;
            }
            catch (StateChannelException e) when (e.Code == ErrorCode.TransactionFailed)
            {
                // Too late (ChallengeExpired), or a competing transaction won: conclude if we can.
            }
        }

        try
        {
            await chain.ConcludeAsync(channel, cancellationToken).ConfigureAwait(false);
            return DisputeOutcome.Concluded;
        }
        catch (StateChannelException e) when (e.Code == ErrorCode.TransactionFailed)
        {
            return DisputeOutcome.Refused;
        }
    }
}

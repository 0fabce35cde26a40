namespace StateChannels;

/// <summary>A channel as the adjudicator holds it, read at the confirmation depth.</summary>
/// <param name="Held0">What participant 0 has deposited.</param>
/// <param name="Held1">What participant 1 has deposited.</param>
/// <param name="RegisteredVersion">The registered state's version, or null if no dispute.</param>
/// <param name="Deadline">The challenge deadline (block time), or null if no dispute.</param>
/// <param name="Concluded">Whether the channel is concluded and paid out.</param>
public sealed record OnChainChannel(
    Amount Held0, Amount Held1, ulong? RegisteredVersion, DateTimeOffset? Deadline, bool Concluded)
{
    /// <summary>
    /// Whether a state is registered or the channel is concluded: the channel is settling on chain
    /// and can never carry payments again, whatever its deposits.
    /// </summary>
    public bool IsSettling => Concluded || RegisteredVersion is not null;

    /// <summary>
    /// The one rule for "usable" (THREATS G1): a channel may become Active, and make or accept
    /// payments, only if both participants deposited at least their funding and the chain shows no
    /// registration and no conclusion. Deposits alone are not enough: a peer that registers version
    /// 0 before we activate could otherwise take back, after its deadline, every payment made on top.
    /// </summary>
    public bool IsUsable(ChannelParams channel) =>
        !IsSettling && Held0 >= channel.Funding0 && Held1 >= channel.Funding1;
}

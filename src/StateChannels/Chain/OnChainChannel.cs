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
    /// <summary>Whether both participants deposited at least their funding.</summary>
    public bool IsFunded(ChannelParams channel) => Held0 >= channel.Funding0 && Held1 >= channel.Funding1;
}

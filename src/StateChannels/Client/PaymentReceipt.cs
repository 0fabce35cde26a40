namespace StateChannels;

/// <summary>Proof that a payment is done: the fully signed state carrying it is durable on our side.</summary>
/// <param name="ChannelId">The channel.</param>
/// <param name="Version">The version of the state that carries the payment (several coalesced payments may share it).</param>
/// <param name="Amount">This payment's amount.</param>
/// <param name="MyBalance">Our balance in that state.</param>
public sealed record PaymentReceipt(ChannelId ChannelId, ulong Version, Amount Amount, Amount MyBalance);

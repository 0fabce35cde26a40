namespace StateChannels;

/// <summary>
/// Names of the client's <see cref="System.Diagnostics.Metrics"/> instruments, for
/// <c>MeterListener</c>, <c>dotnet-counters monitor --counters StateChannels</c> or an OpenTelemetry
/// <c>AddMeter(StateChannelMetrics.MeterName)</c>.
/// <para>Each client has its own <see cref="System.Diagnostics.Metrics.Meter"/> named
/// <see cref="MeterName"/>, tagged with <see cref="ClientTag"/> (its address) and
/// <see cref="AssetTag"/> (the asset of its channels); measurements carry no tags of their own.
/// Amounts are in the asset's base unit (wei for ETH) as floating point.</para>
/// </summary>
public static class StateChannelMetrics
{
    /// <summary>The meter name: <c>StateChannels</c>.</summary>
    public const string MeterName = "StateChannels";

    /// <summary>Meter tag: the client's checksummed address.</summary>
    public const string ClientTag = "statechannels.client";

    /// <summary>Meter tag: the asset of the client's channels (<c>0x0000…0000</c> for ETH).</summary>
    public const string AssetTag = "statechannels.asset";

    /// <summary>Counter of <c>PayAsync</c> calls that completed (the state carrying the payment is durable on our side).</summary>
    public const string PaymentsSent = "statechannels.payments.sent";

    /// <summary>Counter: the sum of the amounts of <see cref="PaymentsSent"/>.</summary>
    public const string PaymentsSentAmount = "statechannels.payments.sent.amount";

    /// <summary>Counter of fully signed states, durable on our side, in which the peer paid us (coalesced payments count once).</summary>
    public const string PaymentsReceived = "statechannels.payments.received";

    /// <summary>Counter: what the peer paid us in <see cref="PaymentsReceived"/>.</summary>
    public const string PaymentsReceivedAmount = "statechannels.payments.received.amount";

    /// <summary>Histogram, milliseconds: from the <c>PayAsync</c> call to its durable completion.</summary>
    public const string PaymentDuration = "statechannels.payment.duration";

    /// <summary>Counter of states we signed (each new signature once; a re-sent signature is not counted).</summary>
    public const string StatesSigned = "statechannels.states.signed";

    /// <summary>Counter of channels that became active (both deposits confirmed).</summary>
    public const string ChannelsOpened = "statechannels.channels.opened";

    /// <summary>Counter of channels that were concluded on chain (cooperatively or after a dispute).</summary>
    public const string ChannelsClosed = "statechannels.channels.closed";

    /// <summary>Counter of channels in which we saw a state registered on chain (a dispute, ours or the peer's).</summary>
    public const string DisputesSeen = "statechannels.disputes.seen";

    /// <summary>Counter of stale registrations we refuted with a higher version.</summary>
    public const string DisputesRefuted = "statechannels.disputes.refuted";

    /// <summary>Counter of peer connections served (<c>RunConnectionAsync</c> calls).</summary>
    public const string Connections = "statechannels.connections";

    /// <summary>Up-down counter of peer connections being served now.</summary>
    public const string ActiveConnections = "statechannels.connections.active";

    /// <summary>Counter of reestablish handshakes: a peer's reestablish received for one channel after a (re)connect.</summary>
    public const string Reestablishes = "statechannels.reestablishes";
}

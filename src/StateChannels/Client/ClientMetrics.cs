using System.Diagnostics.Metrics;

namespace StateChannels;

/// <summary>
/// The instruments of one client, created once. Recording costs one <c>Add</c>/<c>Record</c> on an
/// instrument without tags: no allocation, and next to nothing when nobody listens.
/// </summary>
internal sealed class ClientMetrics : IDisposable
{
    private static readonly InstrumentAdvice<double> DurationAdvice = new()
    {
        HistogramBucketBoundaries = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000],
    };

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _paymentsSent;
    private readonly Counter<double> _paymentsSentAmount;
    private readonly Counter<long> _paymentsReceived;
    private readonly Counter<double> _paymentsReceivedAmount;
    private readonly Histogram<double> _paymentDuration;
    private readonly Counter<long> _statesSigned;
    private readonly Counter<long> _channelsOpened;
    private readonly Counter<long> _channelsClosed;
    private readonly Counter<long> _disputesSeen;
    private readonly Counter<long> _disputesRefuted;
    private readonly Counter<long> _connections;
    private readonly UpDownCounter<long> _activeConnections;
    private readonly Counter<long> _reestablishes;

    /// <param name="factory">Creates (and owns) the meter; null: the meter is ours, disposed with us.</param>
    /// <param name="client">Our address (a meter tag).</param>
    /// <param name="asset">The asset of our channels (a meter tag).</param>
    public ClientMetrics(IMeterFactory? factory, EthAddress client, EthAddress asset)
    {
        var options = new MeterOptions(StateChannelMetrics.MeterName)
        {
            Version = typeof(ClientMetrics).Assembly.GetName().Version?.ToString(),
            Tags =
            [
                new(StateChannelMetrics.ClientTag, client.ToString()),
                new(StateChannelMetrics.AssetTag, asset.ToString()),
            ],
        };
        _ownsMeter = factory is null;
        _meter = factory?.Create(options) ?? new Meter(options);
        _paymentsSent = _meter.CreateCounter<long>(StateChannelMetrics.PaymentsSent, "{payment}", "Payments sent, durable on our side.");
        _paymentsSentAmount = _meter.CreateCounter<double>(StateChannelMetrics.PaymentsSentAmount, "{base_unit}", "Amount sent, in the asset's base unit.");
        _paymentsReceived = _meter.CreateCounter<long>(StateChannelMetrics.PaymentsReceived, "{state}", "Durable states in which the peer paid us.");
        _paymentsReceivedAmount = _meter.CreateCounter<double>(StateChannelMetrics.PaymentsReceivedAmount, "{base_unit}", "Amount received, in the asset's base unit.");
        _paymentDuration = _meter.CreateHistogram(
            StateChannelMetrics.PaymentDuration, "ms", "From the PayAsync call to its durable completion.", tags: null, advice: DurationAdvice);
        _statesSigned = _meter.CreateCounter<long>(StateChannelMetrics.StatesSigned, "{state}", "States we signed.");
        _channelsOpened = _meter.CreateCounter<long>(StateChannelMetrics.ChannelsOpened, "{channel}", "Channels that became active.");
        _channelsClosed = _meter.CreateCounter<long>(StateChannelMetrics.ChannelsClosed, "{channel}", "Channels concluded on chain.");
        _disputesSeen = _meter.CreateCounter<long>(StateChannelMetrics.DisputesSeen, "{dispute}", "Channels with a state registered on chain.");
        _disputesRefuted = _meter.CreateCounter<long>(StateChannelMetrics.DisputesRefuted, "{dispute}", "Stale registrations refuted.");
        _connections = _meter.CreateCounter<long>(StateChannelMetrics.Connections, "{connection}", "Peer connections served.");
        _activeConnections = _meter.CreateUpDownCounter<long>(StateChannelMetrics.ActiveConnections, "{connection}", "Peer connections being served.");
        _reestablishes = _meter.CreateCounter<long>(StateChannelMetrics.Reestablishes, "{handshake}", "Reestablish handshakes (per channel).");
    }

    public void PaymentSent(Amount amount, TimeSpan elapsed)
    {
        _paymentsSent.Add(1);
        _paymentsSentAmount.Add((double)amount.Value);
        _paymentDuration.Record(elapsed.TotalMilliseconds);
    }

    public void PaymentReceived(Amount amount)
    {
        _paymentsReceived.Add(1);
        _paymentsReceivedAmount.Add((double)amount.Value);
    }

    public void StateSigned() => _statesSigned.Add(1);

    public void ChannelOpened() => _channelsOpened.Add(1);

    public void ChannelClosed() => _channelsClosed.Add(1);

    public void DisputeSeen() => _disputesSeen.Add(1);

    public void DisputeRefuted() => _disputesRefuted.Add(1);

    public void ConnectionStarted()
    {
        _connections.Add(1);
        _activeConnections.Add(1);
    }

    public void ConnectionEnded() => _activeConnections.Add(-1);

    public void Reestablished() => _reestablishes.Add(1);

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}

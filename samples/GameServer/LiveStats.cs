using System.Diagnostics.Metrics;
using StateChannels;

namespace GameServer;

/// <summary>
/// Reads the SDK's own metrics (meter <see cref="StateChannelMetrics.MeterName"/>) with a
/// <see cref="MeterListener"/>: every completed payment and its latency, split into the players'
/// payments and the hub's rewards by the meter's client tag.
/// </summary>
internal sealed class LiveStats : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly string _hub;
    private List<double> _window = new(4096);
    private readonly List<double> _all = new(65536);
    private long _playerPayments;
    private long _hubPayments;
    private long _statesSigned;

    public LiveStats(EthAddress hub)
    {
        _hub = hub.ToString();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name != StateChannelMetrics.MeterName)
            {
                return;
            }

            var client = instrument.Meter.Tags?.FirstOrDefault(t => t.Key == StateChannelMetrics.ClientTag).Value as string;
            if (instrument.Name is StateChannelMetrics.PaymentsSent or StateChannelMetrics.PaymentDuration or StateChannelMetrics.StatesSigned)
            {
                listener.EnableMeasurementEvents(instrument, client == _hub);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, state) =>
        {
            if (instrument.Name == StateChannelMetrics.StatesSigned)
            {
                // Each state is signed by both sides: count the hub's signatures only.
                if ((bool)state!)
                {
                    Interlocked.Add(ref _statesSigned, value);
                }
            }
            else if ((bool)state!)
            {
                Interlocked.Add(ref _hubPayments, value);
            }
            else
            {
                Interlocked.Add(ref _playerPayments, value);
            }
        });
        _listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (_lock)
            {
                _window.Add(value);
            }
        });
        _listener.Start();
    }

    public long PlayerPayments => Interlocked.Read(ref _playerPayments);

    public long HubPayments => Interlocked.Read(ref _hubPayments);

    /// <summary>States the hub signed (version 0 and close states included).</summary>
    public long StatesSigned => Interlocked.Read(ref _statesSigned);

    /// <summary>The latencies recorded since the last call (and keeps them for <see cref="Overall"/>).</summary>
    public (double P50, double P99, int Count) TakeWindow()
    {
        List<double> window;
        lock (_lock)
        {
            window = _window;
            _window = new List<double>(Math.Max(4096, window.Count));
            _all.AddRange(window);
        }

        return (Percentile(window, 0.50), Percentile(window, 0.99), window.Count);
    }

    /// <summary>Latency percentiles over every payment so far.</summary>
    public (double P50, double P99, int Count) Overall()
    {
        TakeWindow();
        lock (_lock)
        {
            return (Percentile(_all, 0.50), Percentile(_all, 0.99), _all.Count);
        }
    }

    public void Dispose() => _listener.Dispose();

    private static double Percentile(List<double> values, double q)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        values.Sort();
        var index = (int)Math.Ceiling(q * values.Count) - 1;
        return values[Math.Clamp(index, 0, values.Count - 1)];
    }
}

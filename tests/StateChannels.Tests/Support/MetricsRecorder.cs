using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace StateChannels.Tests.Support;

/// <summary>
/// An <see cref="IMeterFactory"/> whose meters only this recorder listens to, so tests running in
/// parallel (each with its own clients) never see each other's measurements.
/// </summary>
internal sealed class MetricsRecorder : IMeterFactory
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(EthAddress Client, string Instrument), Totals> _totals = new();
    private readonly ConcurrentBag<Meter> _meters = [];

    public MetricsRecorder()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, this))
            {
                Instruments[instrument.Name] = instrument;
                listener.EnableMeasurementEvents(instrument, ClientOf(instrument.Meter));
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, value, _, state) => Get(i, state).Add(value));
        _listener.SetMeasurementEventCallback<double>((i, value, _, state) => Get(i, state).Add(value));
        _listener.Start();
    }

    /// <summary>Every instrument of our meters, by name.</summary>
    public ConcurrentDictionary<string, Instrument> Instruments { get; } = new();

    public Meter Create(MeterOptions options)
    {
        options.Scope = this;
        var meter = new Meter(options);
        _meters.Add(meter);
        return meter;
    }

    /// <summary>The sum of every measurement of <paramref name="instrument"/> by <paramref name="client"/>'s meter.</summary>
    public double Sum(EthAddress client, string instrument) =>
        _totals.TryGetValue((client, instrument), out var t) ? t.Sum : 0;

    /// <summary>How many measurements <paramref name="instrument"/> of <paramref name="client"/> recorded.</summary>
    public long Count(EthAddress client, string instrument) =>
        _totals.TryGetValue((client, instrument), out var t) ? t.Count : 0;

    public void Dispose()
    {
        _listener.Dispose();
        foreach (var m in _meters)
        {
            m.Dispose();
        }
    }

    private static EthAddress ClientOf(Meter meter) =>
        EthAddress.Parse((string)meter.Tags!.Single(t => t.Key == StateChannelMetrics.ClientTag).Value!);

    private Totals Get(Instrument instrument, object? state) => _totals.GetOrAdd(((EthAddress)state!, instrument.Name), _ => new Totals());

    private sealed class Totals
    {
        private readonly Lock _lock = new();
        private double _sum;
        private long _count;

        public double Sum
        {
            get
            {
                lock (_lock)
                {
                    return _sum;
                }
            }
        }

        public long Count
        {
            get
            {
                lock (_lock)
                {
                    return _count;
                }
            }
        }

        public void Add(double value)
        {
            lock (_lock)
            {
                _sum += value;
                _count++;
            }
        }
    }
}

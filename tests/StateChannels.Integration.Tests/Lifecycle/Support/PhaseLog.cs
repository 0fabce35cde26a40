using System.Diagnostics;

namespace StateChannels.Integration.Tests.Lifecycle.Support;

/// <summary>
/// Samples one channel's phase at a client every millisecond or so and keeps each change with its
/// time, so a test can say which phases the channel went through (a transient Active included;
/// <see cref="ChannelFunded"/> is the definitive record of that one).
/// </summary>
public sealed class PhaseLog : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(TimeSpan At, ChannelPhase Phase)> _changes = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task _sampling;

    private PhaseLog(StateChannelClient client, ChannelId id) => _sampling = SampleAsync(client, id);

    public static PhaseLog Start(StateChannelClient client, ChannelId id) => new(client, id);

    /// <summary>The phases seen, in order of first appearance of each change.</summary>
    public IReadOnlyList<ChannelPhase> Seen
    {
        get
        {
            lock (_changes)
            {
                return [.. _changes.Select(c => c.Phase)];
            }
        }
    }

    /// <summary>The phase last seen (null before the channel exists at the client).</summary>
    public ChannelPhase? Current
    {
        get
        {
            lock (_changes)
            {
                return _changes.Count == 0 ? null : _changes[^1].Phase;
            }
        }
    }

    public override string ToString()
    {
        lock (_changes)
        {
            return string.Join(" -> ", _changes.Select(c => $"{c.Phase}@{c.At.TotalMilliseconds:F0}ms"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }

    private async Task SampleAsync(StateChannelClient client, ChannelId id)
    {
        while (!_stop.IsCancellationRequested)
        {
            var phase = client.Channels.FirstOrDefault(c => c.Id == id)?.Phase;
            if (phase is { } p)
            {
                lock (_changes)
                {
                    if (_changes.Count == 0 || _changes[^1].Phase != p)
                    {
                        _changes.Add((_clock.Elapsed, p));
                    }
                }
            }

            try
            {
                await Task.Delay(1, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace StateChannels;

/// <summary>
/// Feeds a <see cref="StateChannelClient"/>'s channels to a watchtower over an authenticated
/// connection (the tower serves it with <see cref="WatchtowerService.RunConnectionAsync"/>): at
/// start every channel's latest fully signed state, then each newer one as the client's events
/// announce it. States that pile up while one is in flight coalesce: only the latest is sent.
/// A channel is protected by the tower from the moment its version is acknowledged
/// (<see cref="WhenAcknowledgedAsync"/>) — go offline only after that.
/// <para>Thread-safe. It sends only what is already fully signed and durable on our side, and only
/// our own channels; it holds no key.</para>
/// </summary>
public sealed class WatchtowerFeeder
{
    private readonly StateChannelClient _client;
    private readonly IMessageConnection _tower;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _resyncInterval;
    private readonly ConcurrentDictionary<ChannelId, byte> _dirty = new();
    private readonly ConcurrentDictionary<ChannelId, ulong> _sent = new();
    private readonly ConcurrentDictionary<ChannelId, ulong> _acknowledged = new();
    private readonly SemaphoreSlim _wake = new(0);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates a feeder; nothing is sent before <see cref="RunAsync"/>.</summary>
    /// <param name="client">The client whose channels are fed.</param>
    /// <param name="tower">An authenticated connection to the watchtower.</param>
    /// <param name="logger">Where refusals are logged; default none.</param>
    /// <param name="resyncInterval">
    /// How often every channel is compared with what was sent, in case the client's event buffer
    /// dropped an event (<see cref="StateChannelClientOptions.EventBufferSize"/>). Default 10 s; must be positive.
    /// </param>
    /// <param name="timeProvider">The clock of the resync; default <see cref="TimeProvider.System"/>.</param>
    public WatchtowerFeeder(
        StateChannelClient client, IMessageConnection tower, ILogger? logger = null, TimeSpan? resyncInterval = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(tower);
        _client = client;
        _tower = tower;
        _logger = logger ?? NullLogger.Instance;
        _resyncInterval = resyncInterval ?? TimeSpan.FromSeconds(10);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_resyncInterval, TimeSpan.Zero, nameof(resyncInterval));
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The highest version of a channel the tower has acknowledged, or null if none yet.</summary>
    public ulong? AcknowledgedVersion(ChannelId id) => _acknowledged.TryGetValue(id, out var v) ? v : null;

    /// <summary>Completes once the tower acknowledged <paramref name="version"/> (or higher) of the channel.</summary>
    public async Task WhenAcknowledgedAsync(ChannelId id, ulong version, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            if (AcknowledgedVersion(id) >= version)
            {
                return;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Feeds until the connection closes or <paramref name="cancellationToken"/> is cancelled.
    /// Completes normally when the tower closes the connection.
    /// </summary>
    /// <exception cref="StateChannelException">The connection failed (<see cref="ErrorCode.PeerUnavailable"/>).</exception>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var events = _client.EventsAsync(stop.Token).GetAsyncEnumerator(stop.Token);
        var first = events.MoveNextAsync(); // subscribed from here on: nothing signed later is missed
        foreach (var channel in _client.Channels)
        {
            _dirty[channel.Id] = 0;
        }

        _wake.Release();
        var pump = PumpEventsAsync(events, first);
        var send = SendLoopAsync(stop.Token);
        try
        {
            await ReceiveLoopAsync(stop.Token).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Settle(pump).ConfigureAwait(false);
            await Settle(send).ConfigureAwait(false);
        }
    }

    private static async Task Settle(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (StateChannelException)
        {
            // the connection is gone; RunAsync ends either way
        }
    }

    private async Task PumpEventsAsync(IAsyncEnumerator<ChannelEvent> events, ValueTask<bool> first)
    {
        await using (events.ConfigureAwait(false))
        {
            var next = first;
            while (await next.ConfigureAwait(false))
            {
                if (events.Current.ChannelId != ChannelId.Zero)
                {
                    _dirty[events.Current.ChannelId] = 0;
                    _wake.Release();
                }

                next = events.MoveNextAsync();
            }
        }
    }

    private async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        using var resync = new PeriodicTimer(_resyncInterval, _time);
        Task<bool>? tick = null;
        Task? wake = null;
        while (true)
        {
            tick ??= resync.WaitForNextTickAsync(cancellationToken).AsTask();
            wake ??= _wake.WaitAsync(cancellationToken);
            var woken = await Task.WhenAny(tick, wake).ConfigureAwait(false);
            await woken.ConfigureAwait(false); // surfaces cancellation
            if (woken == tick)
            {
                tick = null;
                foreach (var channel in _client.Channels)
                {
                    _dirty[channel.Id] = 0; // cheap: only versions above what was sent are sent
                }
            }
            else
            {
                wake = null;
            }

            await SendDirtyAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SendDirtyAsync(CancellationToken cancellationToken)
    {
        foreach (var id in _dirty.Keys)
        {
            _dirty.TryRemove(id, out _);
            Channel channel;
            try
            {
                channel = _client.GetChannel(id);
            }
            catch (KeyNotFoundException)
            {
                continue; // opened and dropped before version 0 was signed
            }

            if (channel.Latest is not { } latest || (_sent.TryGetValue(id, out var sent) && latest.State.Version <= sent))
            {
                continue;
            }

            await _tower.SendAsync(WatchtowerCodec.EncodeSubmit(channel.Params, latest), cancellationToken).ConfigureAwait(false);
            _sent[id] = latest.State.Version;
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var frame = await _tower.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            if (frame is null)
            {
                return;
            }

            if (!WatchtowerCodec.TryDecodeReceipt(frame.Value.Span, out var receipt))
            {
                throw new StateChannelException(ErrorCode.ProtocolViolation, "the watchtower sent a malformed receipt");
            }

            if (receipt!.Accepted)
            {
                _acknowledged.AddOrUpdate(receipt.ChannelId, receipt.Version, (_, v) => Math.Max(v, receipt.Version));
            }
            else
            {
                Log.FeederRefused(_logger, receipt.ChannelId, receipt.Version, receipt.Reason);
            }

            Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }
}

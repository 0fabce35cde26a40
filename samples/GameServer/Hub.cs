using System.Collections.Concurrent;
using System.Net;
using StateChannels;
using StateChannels.Net;
using StateChannels.Net.WebSockets;

namespace GameServer;

/// <summary>
/// The game server: one client, one LiteDB file, one TCP listener (or, with --websocket, one ASP.NET Core
/// WebSocket endpoint) that serves every player. It
/// accepts each player's channel (funding its side), and pays a reward back for every payment it
/// receives: half of what the player paid.
/// </summary>
internal sealed class Hub : IAsyncDisposable
{
    private readonly PrivateKey _key;
    private readonly IChannelStore _store;
    private readonly TcpChannelListener? _listener;
    private readonly WebSocketHost? _webSocket;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Task> _background = [];
    private readonly ConcurrentDictionary<Task, bool> _rewards = new();
    private readonly ConcurrentDictionary<ChannelId, Amount> _rewarded = new();
    private readonly Lock _rewardGate = new();
    private bool _rewarding;
    private long _rewardFailures;

    private Hub(PrivateKey key, IChannelStore store, StateChannelClient client, TcpChannelListener? listener, WebSocketHost? webSocket)
    {
        _key = key;
        _store = store;
        Client = client;
        _listener = listener;
        _webSocket = webSocket;
    }

    public StateChannelClient Client { get; }

    public EthAddress Address => _key.Address;

    /// <summary>Over TCP, what a player dials: the hub's Noise key and end point (<c>key@ip:port</c>).</summary>
    public TcpPeerAddress? PeerAddress => _listener?.PeerAddress;

    /// <summary>Over WebSocket, what a player dials: <c>key@ws://127.0.0.1:port/channels</c>.</summary>
    public WebSocketPeerAddress? WebSocketAddress => _webSocket?.PeerAddress;

    /// <summary>Where the hub listens, for the log.</summary>
    public string Listening => _listener is not null ? $"{_listener.LocalEndPoint} (TCP)" : $"{_webSocket!.PeerAddress.Uri} (WebSocket)";

    public long RewardFailures => Interlocked.Read(ref _rewardFailures);

    public static async Task<Hub> StartAsync(IGameChain chain, Amount funding, int players, bool webSocket, string dataDir, CancellationToken cancellationToken)
    {
        var key = PrivateKey.Create();
        var adjudicator = await chain.NewAccountAsync(cancellationToken).ConfigureAwait(false);
        var store = Game.OpenStore(dataDir, "hub.db");
        var options = Game.ClientOptions();
        options.MaxAcceptedFunding = funding;
        var client = await StateChannelClient.CreateAsync(options, new PrivateKeySigner(key), store, adjudicator, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        var listener = webSocket
            ? null
            : new TcpChannelListener(new PrivateKeySigner(key), adjudicator.Domain, new IPEndPoint(IPAddress.Loopback, 0), Transport.Options(players));
        var host = webSocket
            ? await WebSocketHost.StartAsync(new PrivateKeySigner(key), adjudicator.Domain, Transport.Options(players), client, cancellationToken).ConfigureAwait(false)
            : null;
        var hub = new Hub(key, store, client, listener, host);
        hub.StartRewards();
        if (listener is not null)
        {
            hub._background.Add(hub.AcceptLoopAsync(listener));
        }

        return hub;
    }

    /// <summary>What the hub paid in rewards in <paramref name="channel"/> (completed payments only).</summary>
    public Amount RewardsPaid(ChannelId channel) => _rewarded.GetValueOrDefault(channel);

    /// <summary>Stops paying rewards and waits for those in flight.</summary>
    public async Task StopRewardsAsync()
    {
        // Under the gate: a reward the pump decided to pay is tracked before we look at the set.
        lock (_rewardGate)
        {
            _rewarding = false;
        }

        await Task.WhenAll(_rewards.Keys).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }

        if (_webSocket is not null)
        {
            await _webSocket.DisposeAsync().ConfigureAwait(false);
        }
        await Client.DisposeAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_background).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
        }

        await _store.DisposeAsync().ConfigureAwait(false);
        _key.Dispose();
        _stop.Dispose();
    }

    private void StartRewards()
    {
        _rewarding = true;

        // Subscribe now (the first MoveNextAsync registers the reader), before any player connects.
        var events = Client.EventsAsync(_stop.Token).GetAsyncEnumerator(_stop.Token);
        var first = events.MoveNextAsync();
        _background.Add(PumpAsync(events, first));
    }

    private async Task PumpAsync(IAsyncEnumerator<ChannelEvent> events, ValueTask<bool> first)
    {
        try
        {
            for (var next = first; await next.ConfigureAwait(false); next = events.MoveNextAsync())
            {
                if (events.Current is PaymentReceived received && received.Amount.Value / 2 is var half && half > 0)
                {
                    lock (_rewardGate)
                    {
                        if (_rewarding)
                        {
                            Track(PayRewardAsync(received.ChannelId, new Amount(half)));
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            await events.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Track(Task reward)
    {
        _rewards[reward] = true;
        _ = reward.ContinueWith(t => _rewards.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task PayRewardAsync(ChannelId channel, Amount reward)
    {
        try
        {
            await Client.GetChannel(channel).PayAsync(reward).ConfigureAwait(false);
            _rewarded.AddOrUpdate(channel, reward, (_, sum) => sum + reward);
        }
        catch (StateChannelException)
        {
            // Not paid (e.g. the channel started closing): not counted, so the balance check still holds.
            Interlocked.Increment(ref _rewardFailures);
        }
    }

    private async Task AcceptLoopAsync(TcpChannelListener listener)
    {
        try
        {
            await foreach (var connection in listener.AcceptAllAsync(_stop.Token).ConfigureAwait(false))
            {
                _background.Add(ServeAsync(connection));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(TcpMessageConnection connection)
    {
        try
        {
            await Client.RunConnectionAsync(connection, _stop.Token).ConfigureAwait(false);
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}

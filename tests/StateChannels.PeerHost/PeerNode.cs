using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using StateChannels.Ethereum;
using StateChannels.Net;
using StateChannels.Net.Noise;
using StateChannels.Storage.LiteDb;

namespace StateChannels.PeerHost;

/// <summary>
/// One party: its LiteDB store, adjudicator client, StateChannelClient, and the connection to
/// the one peer (accepted or dialled, served again after every drop), plus the event pump.
/// </summary>
internal sealed class PeerNode : IAsyncDisposable
{
    private readonly HostSettings _settings;
    private readonly Output _out;
    private readonly PrivateKey _key;
    private readonly PrivateKey _txKey;
    private readonly LiteDbChannelStore _store;
    private readonly CancellationTokenSource _stop = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<Task> _background = new();
    private TcpChannelListener? _listener;
    private int _connected;

    private PeerNode(HostSettings settings, Output output, PrivateKey key, PrivateKey txKey, LiteDbChannelStore store, StateChannelClient client, EthereumAdjudicator adjudicator)
    {
        _settings = settings;
        _out = output;
        _key = key;
        _txKey = txKey;
        _store = store;
        Client = client;
        Adjudicator = adjudicator;
    }

    public StateChannelClient Client { get; }

    public EthereumAdjudicator Adjudicator { get; }

    public EthAddress Peer => _settings.Peer;

    public bool IsConnected => Volatile.Read(ref _connected) > 0;

    public static async Task<PeerNode> StartAsync(HostSettings settings, Output output, ILoggerFactory logs)
    {
        var key = PrivateKey.Parse(settings.Key);
        var txKey = PrivateKey.Parse(settings.TxKey);
        var store = LiteDbChannelStore.Open(settings.Db);
        var adjudicator = await EthereumAdjudicator.ConnectAsync(
            settings.Rpc,
            settings.Adjudicator,
            txKey,
            new EthereumAdjudicatorOptions
            {
                PollInterval = TimeSpan.FromMilliseconds(20),
                ReceiptTimeout = TimeSpan.FromMinutes(5),
                RpcTimeout = TimeSpan.FromSeconds(20),
                Logger = logs.CreateLogger("adjudicator"),
            },
            settings.JournalInStore ? store : null).ConfigureAwait(false);
        var options = new StateChannelClientOptions
        {
            ChainPollInterval = TimeSpan.FromMilliseconds(50),
            UpdateTimeout = settings.UpdateTimeout,
            MaxAcceptedFunding = settings.MaxAcceptedFunding,
        };
        var client = await StateChannelClient.CreateAsync(
            options, new PrivateKeySigner(key), store, new ReportingAdjudicator(adjudicator, output), TimeProvider.System, logs)
            .ConfigureAwait(false);
        var node = new PeerNode(settings, output, key, txKey, store, client, adjudicator);
        node.StartEventPump();
        node.StartTransport(logs);
        return node;
    }

    /// <summary>The channel with the peer that got past opening (funding or later); null if none yet.</summary>
    public Channel? FindChannel()
    {
        var candidates = Client.Channels
            .Where(c => c.Peer == Peer && c.Phase is not (ChannelPhase.Proposed or ChannelPhase.Aborted))
            .ToList();
        return candidates.Count switch
        {
            0 => null,
            1 => candidates[0],
            _ => throw new InvalidOperationException($"{candidates.Count} channels with {Peer} past opening: {string.Join(", ", candidates.Select(c => c.Id))}"),
        };
    }

    private void StartEventPump()
    {
        // The subscription is made by the first MoveNextAsync, synchronously: before any connection.
        var events = Client.EventsAsync(_stop.Token).GetAsyncEnumerator(_stop.Token);
        var first = events.MoveNextAsync();
        _background.Enqueue(PumpAsync(events, first));
    }

    private async Task PumpAsync(IAsyncEnumerator<ChannelEvent> events, ValueTask<bool> first)
    {
        try
        {
            for (var next = first; await next.ConfigureAwait(false); next = events.MoveNextAsync())
            {
                switch (events.Current)
                {
                    case PaymentReceived r:
                        _out.Emit("recv", ("channel", r.ChannelId), ("version", r.Version), ("amount", r.Amount), ("balance", r.MyBalance));
                        break;
                    case PaymentSent:
                        break; // each payment's own ack line says more
                    case EquivocationDetected e:
                        _out.Emit("equivocation", ("channel", e.ChannelId), ("version", e.Version), ("detail", e.Detail));
                        break;
                    case PeerMisbehaved m:
                        _out.Emit("misbehaved", ("channel", m.ChannelId), ("reason", m.Reason));
                        break;
                    case ChannelSynced s:
                        _out.Emit("synced", ("channel", s.ChannelId), ("version", s.Version));
                        break;
                    case var other:
                        _out.Emit("event", ("type", other.GetType().Name), ("channel", other.ChannelId));
                        break;
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

    private void StartTransport(ILoggerFactory logs)
    {
        var domain = Adjudicator.Domain;
        var signer = new PrivateKeySigner(_key);
        var transport = new TcpTransportOptions
        {
            ConnectRetryAttempts = 1000,
            ConnectRetryDelay = TimeSpan.FromMilliseconds(20),
            ConnectRetryMaxDelay = TimeSpan.FromMilliseconds(250),
            ConnectTimeout = TimeSpan.FromMinutes(10),
            InboundFramesPerSecond = 100_000,
            InboundFrameBurst = 200_000,
            SendQueueCapacity = 1024,
            ReceiveQueueCapacity = 1024,
        };
        if (_settings.NoiseKey is { } noiseSecret)
        {
            transport.NoiseKey = NoiseStaticKey.FromBytes(Convert.FromHexString(noiseSecret));
        }

        if (_settings.Role == "listen")
        {
            _listener = BindWithRetry(signer, domain, transport, logs);
            _out.Emit("ready", ("address", _key.Address), ("endpoint", _listener.LocalEndPoint), ("peer-address", _listener.PeerAddress));
            _background.Enqueue(AcceptLoopAsync(_listener));
        }
        else if (_settings.Role == "dial")
        {
            _out.Emit("ready", ("address", _key.Address), ("endpoint", null));
            _background.Enqueue(DialLoopAsync(new TcpChannelDialer(signer, domain, transport, logs.CreateLogger("dialer"))));
        }
        else
        {
            throw new ArgumentException($"--role must be listen or dial, not '{_settings.Role}'");
        }
    }

    private TcpChannelListener BindWithRetry(IChannelSigner signer, Eip712Domain domain, TcpTransportOptions transport, ILoggerFactory logs)
    {
        // A restart binds the port of the process it replaces; the kernel may still hold it briefly.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new TcpChannelListener(signer, domain, _settings.Listen, transport, logs.CreateLogger("listener"));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && attempt < 200)
            {
                Thread.Sleep(50);
            }
        }
    }

    private async Task AcceptLoopAsync(TcpChannelListener listener)
    {
        try
        {
            while (true)
            {
                var connection = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
                if (connection.Peer != Peer)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    continue;
                }

                _background.Enqueue(ServeAsync(connection));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task DialLoopAsync(TcpChannelDialer dialer)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var connection = await dialer.ConnectAsync(_settings.Connect, Peer, _stop.Token).ConfigureAwait(false);
                await ServeAsync(connection).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (StateChannelException e)
            {
                _out.Emit("dial-failed", ("code", e.Code), ("message", e.Message));
            }

            try
            {
                await Task.Delay(20, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ServeAsync(TcpMessageConnection connection)
    {
        Interlocked.Increment(ref _connected);
        _out.Emit("connected", ("peer", connection.Peer));
        try
        {
            await Client.RunConnectionAsync(connection, _stop.Token).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _connected);
            await connection.DisposeAsync().ConfigureAwait(false);
            if (!_stop.IsCancellationRequested)
            {
                _out.Emit("disconnected", ("peer", connection.Peer));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }

        await Client.DisposeAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_background.ToArray()).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
        }

        await _store.DisposeAsync().ConfigureAwait(false);
        _txKey.Dispose();
        _key.Dispose();
    }
}

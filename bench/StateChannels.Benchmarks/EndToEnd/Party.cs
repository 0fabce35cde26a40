using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using NativeBackend = StateChannels.Crypto.Native.NativeSecp256k1;
using StateChannels.Ethereum;
using StateChannels.Net;
using StateChannels.Storage.LiteDb;

namespace StateChannels.Benchmarks.EndToEnd;

/// <summary>
/// One party of the end-to-end harness, as a user would build it: a durable LiteDB file, an
/// adjudicator client on anvil, a <see cref="StateChannelClient"/> and a TCP listener or dialer.
/// The driver (this process) and the hub (a child process) each hold one.
/// </summary>
internal sealed class Party : IAsyncDisposable
{
    private readonly PrivateKey _txKey;
    private readonly PrivateKeySigner _signer;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _background = [];
    private TcpChannelListener? _listener;
    private int _connections;

    private Party(PrivateKey txKey, PrivateKeySigner signer, LiteDbChannelStore store, StateChannelClient client, Eip712Domain domain)
    {
        _txKey = txKey;
        _signer = signer;
        Store = store;
        Client = client;
        Domain = domain;
    }

    public StateChannelClient Client { get; }

    public LiteDbChannelStore Store { get; }

    public Eip712Domain Domain { get; }

    public bool IsConnected => Volatile.Read(ref _connections) > 0;

    /// <summary>Connections being served.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>The chosen secp256k1 implementation: "managed" (default) or "native".</summary>
    public static ISecp256k1 Backend(string name) => name switch
    {
        "native" => NativeBackend.Instance,
        "managed" => ManagedSecp256k1.Instance,
        _ => throw new ArgumentException($"secp256k1 backend must be managed or native, not '{name}'"),
    };

    public static EthereumAdjudicatorOptions ChainOptions() => new()
    {
        PollInterval = TimeSpan.FromMilliseconds(20),
        ReceiptTimeout = TimeSpan.FromMinutes(5),
        RpcTimeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>The transport for the run: Noise (the default) unless <c>STATECHANNELS_BENCH_TRANSPORT=plain</c>, for a side-by-side figure.</summary>
    public const string TransportVariable = "STATECHANNELS_BENCH_TRANSPORT";

    /// <summary>The Noise static key's secret, hex: made by the driver, handed to the hub child process.</summary>
    public const string NoiseKeyVariable = "STATECHANNELS_BENCH_NOISE_KEY";

    private static readonly Lazy<StateChannels.Net.Noise.NoiseStaticKey> BenchNoiseKey = new(() =>
    {
        if (Environment.GetEnvironmentVariable(NoiseKeyVariable) is { Length: > 0 } hex)
        {
            return StateChannels.Net.Noise.NoiseStaticKey.FromBytes(Convert.FromHexString(hex));
        }

        // One key for every party of the run, so the driver knows the hub's; a real deployment gives each node its own.
        var key = StateChannels.Net.Noise.NoiseStaticKey.Create();
        var secret = new byte[32];
        key.WriteSecret(secret);
        Environment.SetEnvironmentVariable(NoiseKeyVariable, Convert.ToHexString(secret));
        return key;
    });

    public static bool Encrypted => Environment.GetEnvironmentVariable(TransportVariable) is not "plain";

    /// <summary>The hub's address for a dialer: its end point and, when encrypted, the run's Noise key.</summary>
    public static TcpPeerAddress HubAddress(IPEndPoint hub) => new(hub, Encrypted ? BenchNoiseKey.Value.PublicKey : null);

    /// <summary>The run's Noise secret, for the hub's child process.</summary>
    public static string NoiseSecretHex()
    {
        var secret = new byte[32];
        BenchNoiseKey.Value.WriteSecret(secret);
        return Convert.ToHexString(secret);
    }

    public static TcpTransportOptions TransportOptions() => new()
    {
        Encryption = Encrypted ? TransportEncryption.Noise : TransportEncryption.None,
        NoiseKey = Encrypted ? BenchNoiseKey.Value : null,
        // The defaults (5,000 frames/s inbound, queues of 64) are meant for untrusted peers on the
        // internet; a hub serving thousands of payments/s raises them, as PeerHost does.
        InboundFramesPerSecond = 1_000_000,
        InboundFrameBurst = 2_000_000,
        SendQueueCapacity = 4096,
        ReceiveQueueCapacity = 4096,
        ReceiveIdleTimeout = TimeSpan.FromMinutes(10),
        ConnectRetryAttempts = 200,
        ConnectRetryDelay = TimeSpan.FromMilliseconds(20),
        ConnectRetryMaxDelay = TimeSpan.FromMilliseconds(250),
        // Every player of the idle-connection figure dials from 127.0.0.1: the per-address limit
        // (32 by default, against one host opening many connections) is raised for them.
        MaxConnections = 4096,
        MaxConnectionsPerAddress = 4096,
    };

    /// <summary>
    /// The store's defaults; for experiments, STATECHANNELS_BENCH_CHECKPOINT_PAGES and
    /// STATECHANNELS_BENCH_COMMIT_LOG_MIB override its (internal) sync thresholds, and
    /// STATECHANNELS_BENCH_FLUSH_STATES how many waiting states move into LiteDB at once.
    /// </summary>
    private static LiteDbStoreOptions StoreOptions()
    {
        var options = new LiteDbStoreOptions();
        if (Environment.GetEnvironmentVariable("STATECHANNELS_BENCH_CHECKPOINT_PAGES") is { Length: > 0 } pages)
        {
            options.CheckpointPages = int.Parse(pages, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (Environment.GetEnvironmentVariable("STATECHANNELS_BENCH_COMMIT_LOG_MIB") is { Length: > 0 } mib)
        {
            options.CommitLogBytes = long.Parse(mib, System.Globalization.CultureInfo.InvariantCulture) << 20;
        }

        if (Environment.GetEnvironmentVariable("STATECHANNELS_BENCH_FLUSH_STATES") is { Length: > 0 } states)
        {
            options.HistoryFlushStates = int.Parse(states, System.Globalization.CultureInfo.InvariantCulture);
        }

        return options;
    }

    public static async Task<Party> StartAsync(
        Uri rpc, EthAddress adjudicator, string channelKeyHex, string txKeyHex, string dbPath, ISecp256k1 secp256k1, CancellationToken cancellationToken)
    {
        var key = PrivateKey.Parse(channelKeyHex);
        var txKey = PrivateKey.Parse(txKeyHex);
        var store = LiteDbChannelStore.Open(dbPath, StoreOptions());
        var chain = await EthereumAdjudicator.ConnectAsync(rpc, adjudicator, txKey, ChainOptions(), journal: store, cancellationToken).ConfigureAwait(false);
        var options = new StateChannelClientOptions
        {
            ChainPollInterval = TimeSpan.FromMilliseconds(250),
            UpdateTimeout = TimeSpan.FromSeconds(60),
            MaxAcceptedFunding = Amount.Zero,
            MaxChannelsPerPeer = 100_000,
            MaxQueuedPayments = 1_000_000,
            Secp256k1 = secp256k1,
        };
        var signer = new PrivateKeySigner(key, secp256k1);
        var client = await StateChannelClient.CreateAsync(
            options, signer, store, chain, TimeProvider.System, NullLoggerFactory.Instance, cancellationToken).ConfigureAwait(false);
        return new Party(txKey, signer, store, client, chain.Domain);
    }

    /// <summary>Listens on loopback and serves every connection from <paramref name="peer"/> (from any authenticated peer when null); returns the port.</summary>
    public int Listen(EthAddress? peer)
    {
        _listener = new TcpChannelListener(_signer, Domain, new IPEndPoint(IPAddress.Loopback, 0), TransportOptions(), NullLogger.Instance);
        _background.Add(AcceptLoopAsync(_listener, peer));
        return _listener.LocalEndPoint.Port;
    }

    /// <summary>Dials the hub and serves the connection in the background; completes once connected.</summary>
    public async Task DialAsync(IPEndPoint hub, EthAddress peer, CancellationToken cancellationToken)
    {
        var dialer = new TcpChannelDialer(_signer, Domain, TransportOptions(), NullLogger.Instance);
        var connection = await dialer.ConnectAsync(HubAddress(hub), peer, cancellationToken).ConfigureAwait(false);
        _background.Add(ServeAsync(connection));
        while (!IsConnected)
        {
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
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
            await Task.WhenAll(_background).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
        }

        await Store.DisposeAsync().ConfigureAwait(false);
        _signer.Dispose();
        _txKey.Dispose();
    }

    private async Task AcceptLoopAsync(TcpChannelListener listener, EthAddress? peer)
    {
        try
        {
            while (true)
            {
                var connection = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
                if (peer is { } only && connection.Peer != only)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    continue;
                }

                _background.Add(ServeAsync(connection));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(TcpMessageConnection connection)
    {
        Interlocked.Increment(ref _connections);
        try
        {
            await Client.RunConnectionAsync(connection, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}

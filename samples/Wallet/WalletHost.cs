using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StateChannels.Ethereum;
using StateChannels.Storage.LiteDb;

namespace StateChannels.Samples.Wallet;

/// <summary>
/// Everything one party runs: its LiteDB store, the adjudicator on chain, the
/// <see cref="StateChannelClient"/>, the TCP connection to the peer (WalletHost.Transport.cs),
/// the watcher, and a pump that prints the client's events.
/// <para>Restart-safe by construction: the client reloads every channel from the store, and each new
/// connection to the peer starts with the SDK's reestablish handshake, so a wallet killed at any
/// moment carries on where its durable state left it.</para>
/// </summary>
internal sealed partial class WalletHost : IAsyncDisposable
{
    private readonly PrivateKey _key;
    private readonly PrivateKey _txKey;
    private readonly ILoggerFactory _logs;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Task> _background = [];
    private CancellationTokenSource? _watcherStop;
    private Task? _watcher;

    private WalletHost(
        WalletSettings settings, PrivateKey key, PrivateKey txKey, LiteDbChannelStore store,
        EthereumAdjudicator adjudicator, StateChannelClient client, ILoggerFactory logs)
    {
        Settings = settings;
        _key = key;
        _txKey = txKey;
        Store = store;
        Adjudicator = adjudicator;
        Client = client;
        _logs = logs;
    }

    public WalletSettings Settings { get; }

    public StateChannelClient Client { get; }

    public EthereumAdjudicator Adjudicator { get; }

    public LiteDbChannelStore Store { get; }

    /// <summary>Whether the watcher is running.</summary>
    public bool Watching => _watcher is { IsCompleted: false };

    /// <summary>Opens the store, connects to the chain and loads the client.</summary>
    /// <exception cref="ArgumentException">A key is missing or malformed.</exception>
    /// <exception cref="StateChannelException">The chain or the store failed.</exception>
    public static async Task<WalletHost> StartAsync(WalletSettings settings, ILoggerFactory? logs, CancellationToken cancellationToken)
    {
        logs ??= NullLoggerFactory.Instance;

        // Two keys: the channel signing key (our identity in channels and handshakes) signs
        // states only; the transaction key is an ordinary on-chain account that pays deposits and gas.
        var txHex = settings.TxKeyHex() ?? throw new ArgumentException("the transaction key is required: --tx-key-file <file> or WALLET_TX_KEY");
        var txKey = KeyFiles.Parse(txHex, "transaction key");
        var key = Environment.GetEnvironmentVariable("WALLET_KEY") is { Length: > 0 } hex
            ? KeyFiles.Parse(hex, "WALLET_KEY")
            : KeyFiles.LoadOrCreate(settings.KeyFile);

        // snippet-begin: client-setup
        // One LiteDB file per wallet. Every write the channel invariants depend on is fsync'd before
        // the SDK acknowledges it, so a payment reported as done survives a crash.
        var store = LiteDbChannelStore.Open(settings.Db);

        // ConnectAsync checks the chain id and that a StateChannels adjudicator lives at the address.
        // The store is also the transaction journal: a transaction sent just before a crash is found
        // again after the restart (same nonce) instead of being sent twice.
        var chainOptions = new EthereumAdjudicatorOptions
        {
            PollInterval = TimeSpan.FromMilliseconds(100), // a local node mines at once; poll receipts often
            RpcTimeout = TimeSpan.FromSeconds(10),
            Logger = logs.CreateLogger("StateChannels.Ethereum"),
        };
        var adjudicator = await EthereumAdjudicator.ConnectAsync(
            settings.Rpc, settings.Adjudicator, txKey, chainOptions, journal: store, cancellationToken).ConfigureAwait(false);

        // The adjudicator's events let the watcher look only at channels something happened to,
        // from a durable block cursor (also in the store), so it catches up after downtime.
        var chainEvents = new EthereumChainEventSource(settings.Rpc, settings.Adjudicator, chainOptions);
        var options = new StateChannelClientOptions
        {
            ChallengeDuration = settings.Challenge,
            MinChallengeDuration = settings.MinChallenge, // a peer's channel with a shorter one is refused
            MaxAcceptedFunding = settings.MaxAccept,
            ChainPollInterval = TimeSpan.FromMilliseconds(250),
        };
        var client = await StateChannelClient.CreateAsync(
            options, new PrivateKeySigner(key), store, adjudicator, chainEvents, TimeProvider.System, logs, cancellationToken)
            .ConfigureAwait(false);
        // snippet-end

        var host = new WalletHost(settings, key, txKey, store, adjudicator, client, logs);
        host.StartEventPump();
        if (settings.Watch)
        {
            host.StartWatcher();
        }

        return host;
    }

    /// <summary>The channel the commands act on: the one with the current peer that is not over yet, else the last closed one.</summary>
    public Channel? CurrentChannel()
    {
        var peer = Peer;
        var mine = Client.Channels.Where(c => peer is null || c.Peer == peer).ToList();
        return mine.FirstOrDefault(c => c.Phase is ChannelPhase.Funding or ChannelPhase.Active or ChannelPhase.Closing or ChannelPhase.Disputed)
            ?? mine.FirstOrDefault(c => c.Phase is ChannelPhase.Closed);
    }

    /// <summary>
    /// Starts the watcher: it refutes a stale state the peer registers on chain and concludes a
    /// dispute after its deadline. A wallet should always run it (or have a watchtower do it).
    /// </summary>
    public void StartWatcher()
    {
        if (Watching)
        {
            return;
        }

        _watcherStop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        _watcher = RunWatcherAsync(_watcherStop.Token);
    }

    /// <summary>Stops the watcher (only the demo's cheat does this: Mallory does not refute herself).</summary>
    public async Task StopWatcherAsync()
    {
        if (_watcher is { } watcher)
        {
            await _watcherStop!.CancelAsync().ConfigureAwait(false);
            await watcher.ConfigureAwait(false);
            _watcher = null;
        }
    }

    private async Task RunWatcherAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Client.RunWatcherAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (StateChannelException e)
        {
            Replies.Event("watcher-stopped", ("code", e.Code), ("message", e.Message));
        }
    }

    private void StartEventPump()
    {
        // EventsAsync delivers events from the moment its enumeration starts; start it now, before
        // any connection, so that no event is missed. Events can replay after a restart: printing
        // them twice is harmless.
        var events = Client.EventsAsync(_stop.Token).GetAsyncEnumerator(_stop.Token);
        var first = events.MoveNextAsync();
        _background.Add(PumpEventsAsync(events, first));
    }

    private static async Task PumpEventsAsync(IAsyncEnumerator<ChannelEvent> events, ValueTask<bool> first)
    {
        try
        {
            for (var next = first; await next.ConfigureAwait(false); next = events.MoveNextAsync())
            {
                switch (events.Current)
                {
                    case PaymentReceived r:
                        Replies.Event("received", ("amount", r.Amount), ("version", r.Version), ("balance", r.MyBalance));
                        break;
                    case PaymentSent:
                        break; // the pay command reports its own payments
                    case ChannelFunded f:
                        Replies.Event("funded", ("channel", f.ChannelId));
                        break;
                    case DisputeSeen d:
                        Replies.Event("dispute-seen", ("channel", d.ChannelId), ("version", d.Version));
                        break;
                    case DisputeRefuted d:
                        Replies.Event("dispute-refuted", ("channel", d.ChannelId), ("registered", d.Registered), ("refuted", d.Refuted));
                        break;
                    case ChannelClosed c:
                        Replies.Event("closed", ("channel", c.ChannelId), ("version", c.Version));
                        break;
                    case ChannelSynced s:
                        Replies.Event("synced", ("channel", s.ChannelId), ("version", s.Version));
                        break;
                    case FundingTimedOut t:
                        Replies.Event("funding-timed-out", ("channel", t.ChannelId));
                        break;
                    case EquivocationDetected e:
                        Replies.Event("equivocation", ("channel", e.ChannelId), ("version", e.Version), ("detail", e.Detail));
                        break;
                    case PeerMisbehaved m:
                        Replies.Event("peer-misbehaved", ("channel", m.ChannelId), ("reason", m.Reason));
                        break;
                    case ChainStale c:
                        Replies.Event("chain-stale", ("reason", c.Reason)); // the watcher cannot see the chain: disputes may go unanswered
                        break;
                    case ChainFresh c:
                        Replies.Event("chain-fresh", ("reason", c.Reason));
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

    /// <summary>Stops the transport, the watcher and the client, then closes the store.</summary>
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
            Task[] running = [.. _background, _watcher ?? Task.CompletedTask];
            await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A task that does not stop in time must not keep the process alive.
        }

        await Store.DisposeAsync().ConfigureAwait(false);
        _txKey.Dispose();
        _key.Dispose();
        _noiseKey?.Dispose();
        _stop.Dispose();
    }
}

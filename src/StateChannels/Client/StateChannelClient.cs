using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StateChannels.Protocol;

namespace StateChannels;

/// <summary>
/// The entry point of the SDK: one per signing key. Holds the client's channels, serves
/// connections to peers (<see cref="RunConnectionAsync"/>), opens channels and reports events.
/// <para>Thread-safe; its configuration is fixed at construction. It starts no threads of its own:
/// the host runs <see cref="RunConnectionAsync"/> for each authenticated connection (from a
/// transport such as StateChannels.Net).</para>
/// </summary>
public partial class StateChannelClient : IAsyncDisposable
{
    private readonly ConcurrentDictionary<ChannelId, ChannelMachine> _channels = new();
    private readonly ConcurrentDictionary<EthAddress, PeerSession> _sessions = new();
    private readonly ChannelEngine _engine = null!;
    private readonly IChainEventSource? _chainEvents;

    /// <summary>For mocking only.</summary>
    protected StateChannelClient()
    {
    }

    private StateChannelClient(ChannelEngine engine, IChainEventSource? chainEvents)
    {
        _engine = engine;
        _chainEvents = chainEvents;
    }

    /// <summary>Our participant address (the channel signing key's address).</summary>
    public virtual EthAddress Address => _engine.Signer.Address;

    /// <summary>The channels this client holds.</summary>
    public virtual IReadOnlyCollection<Channel> Channels => _channels.Values.Select(m => new Channel(m)).ToList();

    /// <summary>
    /// Creates a client and loads its channels from <paramref name="store"/>, verifying every
    /// stored signature: a channel whose stored state does not verify is marked fallen-behind and
    /// will sync from the peer instead of disputing. Without a chain-event source the watcher
    /// (<see cref="RunWatcherAsync"/>) looks at every channel on every poll.
    /// </summary>
    public static Task<StateChannelClient> CreateAsync(
        StateChannelClientOptions options,
        IChannelSigner signer,
        IChannelStore store,
        IAdjudicator adjudicator,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default) =>
        CreateCoreAsync(options, signer, store, adjudicator, null, timeProvider, loggerFactory, cancellationToken);

    /// <summary>
    /// Creates a client like the overload without one
    /// whose watcher follows the adjudicator's events from a durable block cursor (in
    /// <paramref name="store"/>): each poll it looks only at the channels that events touched and
    /// at channels in dispute, after one full check of every channel at start — what a client
    /// with thousands of channels needs. It also raises <see cref="ChainStale"/> alarms.
    /// </summary>
    /// <param name="options">The options.</param>
    /// <param name="signer">The channel signing key.</param>
    /// <param name="store">The durable store (also holds the watcher's block cursor).</param>
    /// <param name="adjudicator">The chain port.</param>
    /// <param name="chainEvents">The adjudicator's events (for the same chain and contract as <paramref name="adjudicator"/>).</param>
    /// <param name="timeProvider">The clock; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="loggerFactory">Logging; default none.</param>
    /// <param name="cancellationToken">Cancels loading.</param>
    public static Task<StateChannelClient> CreateAsync(
        StateChannelClientOptions options,
        IChannelSigner signer,
        IChannelStore store,
        IAdjudicator adjudicator,
        IChainEventSource chainEvents,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chainEvents);
        return CreateCoreAsync(options, signer, store, adjudicator, chainEvents, timeProvider, loggerFactory, cancellationToken);
    }

    private static async Task<StateChannelClient> CreateCoreAsync(
        StateChannelClientOptions options,
        IChannelSigner signer,
        IChannelStore store,
        IAdjudicator adjudicator,
        IChainEventSource? chainEvents,
        TimeProvider? timeProvider,
        ILoggerFactory? loggerFactory,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(adjudicator);
        options.Validate();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<StateChannelClient>();
        var engine = new ChannelEngine(
            options,
            signer,
            store,
            adjudicator,
            timeProvider ?? TimeProvider.System,
            logger,
            new ChannelEventHub(options.EventBufferSize),
            new ClientMetrics(options.MeterFactory, signer.Address, options.Asset));
        var client = new StateChannelClient(engine, chainEvents);
        await foreach (var record in store.GetChannelsAsync(cancellationToken).ConfigureAwait(false))
        {
            var verified = RecordVerifier.Verify(record, signer.Address, options.Secp256k1, logger);
            if (options.RestoredFromBackup && verified.Phase is not ChannelPhase.Closed)
            {
                verified = verified with { FallenBehind = true };
            }

            var machine = new ChannelMachine(engine, verified);
            client._channels[record.Id] = machine;
            if (machine.Record.Phase == ChannelPhase.Funding)
            {
                machine.StartFunding();
            }
        }

        return client;
    }

    /// <summary>The channel with this id.</summary>
    /// <exception cref="KeyNotFoundException">No such channel.</exception>
    public virtual Channel GetChannel(ChannelId id) =>
        _channels.TryGetValue(id, out var m) ? new Channel(m) : throw new KeyNotFoundException($"no channel {id}");

    /// <summary>Every event of every channel, from now on, until <paramref name="cancellationToken"/> is cancelled. See <see cref="ChannelEvent"/> on replays.</summary>
    public virtual IAsyncEnumerable<ChannelEvent> EventsAsync(CancellationToken cancellationToken = default) =>
        _engine.Events.ReadAllAsync(cancellationToken);

    /// <summary>
    /// Opens a channel with a connected peer: both sign version 0, it is stored durably, then each
    /// side deposits its funding; completes when both deposits are confirmed.
    /// </summary>
    /// <param name="peer">The peer; a connection to it must be running (<see cref="RunConnectionAsync"/>).</param>
    /// <param name="myFunding">What we deposit.</param>
    /// <param name="peerFunding">What the peer deposits (it must accept).</param>
    /// <param name="cancellationToken">Cancels the wait (a deposit already sent stays on chain and is refunded by the funding timeout).</param>
    public virtual async Task<Channel> OpenChannelAsync(
        EthAddress peer, Amount myFunding, Amount peerFunding, CancellationToken cancellationToken = default)
    {
        if (!_sessions.TryGetValue(peer, out var session))
        {
            throw new StateChannelException(ErrorCode.PeerUnavailable, $"not connected to {peer}");
        }

        var options = _engine.Options;
        var p = new ChannelParams(
            Address, peer, options.Asset, options.ChallengeDuration, Hash32.CreateRandom(), myFunding, peerFunding);
        if (!p.IsValid(out var error))
        {
            throw new StateChannelException(ErrorCode.InvalidParams, error);
        }

        var domain = _engine.Adjudicator.Domain;
        var id = Eip712.ComputeChannelId(domain, p);
        var record = new ChannelRecord { Id = id, Params = p, Domain = domain, MyIndex = 0, Phase = ChannelPhase.Proposed };
        var machine = new ChannelMachine(_engine, record);
        _channels[id] = machine;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.UpdateTimeout);
            await machine.BeginOpenAsync(session, new OpenRequest(p, domain), timeout.Token).ConfigureAwait(false);
        }
        catch
        {
            _channels.TryRemove(id, out _);
            throw;
        }

        await machine.WhenFundedAsync(cancellationToken).ConfigureAwait(false);
        return new Channel(machine);
    }

    /// <summary>For tests: the connection in use with <paramref name="peer"/>, if any.</summary>
    internal IPeerLink? SessionWith(EthAddress peer) => _sessions.TryGetValue(peer, out var session) ? session : null;

    /// <summary>
    /// Serves one authenticated connection until it closes or <paramref name="cancellationToken"/>
    /// is cancelled: re-establishes every channel with that peer, then handles its messages.
    /// Malformed input or a protocol violation drops the connection; it never throws for the peer's
    /// misbehaviour, and never changes channel state on bad input.
    /// </summary>
    public virtual async Task RunConnectionAsync(IMessageConnection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var session = new PeerSession(connection, _engine.Logger);
        if (_sessions.TryGetValue(connection.Peer, out var old))
        {
            old.Abort("replaced by a new connection");
        }

        _sessions[connection.Peer] = session;
        _engine.Metrics.ConnectionStarted();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, session.Aborted);
        var dispatcher = new ConnectionDispatcher(session, _engine.Logger);
        try
        {
            // The channels as they are now: one opened on this connection meanwhile is already on it.
            foreach (var machine in ChannelsWith(connection.Peer).ToList())
            {
                await machine.OnConnectedAsync(session).ConfigureAwait(false);
            }

            while (!stop.IsCancellationRequested)
            {
                var frame = await connection.ReceiveAsync(stop.Token).ConfigureAwait(false);
                if (frame is null)
                {
                    break;
                }

                if (!MessageCodec.TryDecode(frame.Value.Span, out var message, out var why))
                {
                    session.Abort("malformed message: " + why);
                    break;
                }

                await DispatchAsync(session, message, dispatcher, stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (StateChannelException e)
        {
            // A store or transport failure: this connection ends; channel state stays as durably stored.
            Log.ConnectionFailed(_engine.Logger, connection.Peer, e.Code, e.Message);
            session.Abort(e.Message);
        }
        finally
        {
            // Messages still in hand finish first (a durable write in progress completes); if they
            // are stuck (a send to a peer that stopped reading), dropping the connection frees them.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo? handlerFault;
            try
            {
                handlerFault = await dispatcher.DrainAsync().WaitAsync(_engine.Options.UpdateTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                session.Abort("messages in hand did not finish");
                handlerFault = await dispatcher.DrainAsync().ConfigureAwait(false);
            }

            _sessions.TryRemove(new KeyValuePair<EthAddress, PeerSession>(connection.Peer, session));
            foreach (var machine in ChannelsWith(connection.Peer))
            {
                await machine.OnDisconnectedAsync(session).ConfigureAwait(false);
            }

            session.Abort("connection ended");
            _engine.Metrics.ConnectionEnded();

            // A handler's bug surfaces here, after the clean-up, as it did when handlers ran in line.
            handlerFault?.Throw();
        }
    }

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync()
    {
        foreach (var s in _sessions.Values)
        {
            s.Abort("client disposed");
        }

        _engine?.Metrics.Dispose();

        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    private IEnumerable<ChannelMachine> ChannelsWith(EthAddress peer) =>
        _channels.Values.Where(m => m.PeerAddress == peer).ToList();

    private async Task DispatchAsync(PeerSession session, ProtocolMessage message, ConnectionDispatcher dispatcher, CancellationToken cancellationToken)
    {
        if (message is OpenRequest open)
        {
            // Rare, and it creates the channel the next messages are for: handled in line.
            await HandleOpenRequestAsync(session, open).ConfigureAwait(false);
            return;
        }

        var id = MessageCodec.ChannelOf(message);
        if (_channels.TryGetValue(id, out var machine) && machine.PeerAddress == session.Peer)
        {
            await dispatcher.PostAsync(machine, message, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Why we refuse a channel the peer opens with these params, or null: every value the opener
    /// chooses is bounded by an option of ours (THREATS G3). A 1-second challenge would let the
    /// opener register and conclude an old state before any watcher reacts; a year-long one locks
    /// our deposit for a year.
    /// </summary>
    internal static string? OpenRefusal(ChannelParams p, StateChannelClientOptions options)
    {
        if (p.ChallengeDuration < options.MinChallengeDuration || p.ChallengeDuration > options.MaxChallengeDuration)
        {
            return $"challenge duration {p.ChallengeDurationSeconds} s is outside what we accept "
                + $"({(ulong)options.MinChallengeDuration.TotalSeconds}-{(ulong)options.MaxChallengeDuration.TotalSeconds} s)";
        }

        if (p.Funding1 > options.MaxAcceptedFunding)
        {
            return $"we fund at most {options.MaxAcceptedFunding}";
        }

        return p.Funding0 > options.MaxPeerFunding ? $"we accept an opener's funding of at most {options.MaxPeerFunding}" : null;
    }

    private async Task HandleOpenRequestAsync(PeerSession session, OpenRequest open)
    {
        var p = open.Params;
        var domain = _engine.Adjudicator.Domain;
        var id = Eip712.ComputeChannelId(domain, p);
        string? refusal = null;
        if (!p.IsValid(out var invalid))
        {
            refusal = invalid;
        }
        else if (p.Participant0 != session.Peer || p.Participant1 != Address)
        {
            refusal = "participants must be the opener (you) and us, in that order";
        }
        else if (!open.Domain.Equals(domain))
        {
            refusal = $"we use {domain}";
        }
        else if (p.Asset != _engine.Options.Asset)
        {
            refusal = "asset not accepted";
        }
        else if (OpenRefusal(p, _engine.Options) is { } bounds)
        {
            refusal = bounds;
        }
        else if (_channels.ContainsKey(id))
        {
            refusal = "channel exists";
        }
        else if (ChannelsWith(session.Peer).Count() >= _engine.Options.MaxChannelsPerPeer)
        {
            refusal = "too many channels with you";
        }

        if (refusal is not null)
        {
            await session.SendAsync(new RejectUpdate(id, 0, ErrorCode.InvalidParams, refusal)).ConfigureAwait(false);
            return;
        }

        var record = new ChannelRecord { Id = id, Params = p, Domain = domain, MyIndex = 1, Phase = ChannelPhase.Proposed };
        var machine = new ChannelMachine(_engine, record);
        if (_channels.TryAdd(id, machine))
        {
            await machine.AttachAsync(session).ConfigureAwait(false);
        }
    }
}

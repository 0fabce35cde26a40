using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace StateChannels;

/// <summary>
/// A watchtower: the watcher without the wallet. Clients feed it their channels' latest fully
/// signed states (<see cref="SubmitAsync"/>, or <see cref="RunConnectionAsync"/> for a
/// <see cref="WatchtowerFeeder"/> over an authenticated connection); it keeps them in its own
/// <see cref="IChannelStore"/> and, while <see cref="RunAsync"/> runs, refutes any registration
/// older than the state it holds and concludes after the deadline, paying gas from its own
/// account (the contract lets anyone register or conclude). So a wallet that goes offline for
/// longer than the challenge period stays safe.
/// <para>It accepts a state only when the channel's two participants both signed it (EIP-712, in
/// this tower's domain), the submitting client is one of them, the balances add up to the
/// channel's funding, and its version is higher than the one held. It never signs anything: it
/// holds no channel key.</para>
/// <para>Thread-safe. Submissions are durable before they are acknowledged.</para>
/// </summary>
public partial class WatchtowerService
{
    /// <summary>The store cursor that holds the tower's last processed block.</summary>
    public const string CursorName = "watchtower.block";

    private readonly ConcurrentDictionary<ChannelId, Entry> _channels = new();
    private readonly ConcurrentDictionary<EthAddress, int> _perClient = new();

    // Channels the next pass looks at whatever the events say: their last look failed, or a state
    // was handed over since (G2: its registration may be on chain already, behind the cursor). The
    // value is a ticket: a look clears only the mark it started with, never one set while it ran.
    private readonly ConcurrentDictionary<ChannelId, long> _retry = new();
    private long _tickets;

    /// <summary>Channels counted against <see cref="WatchtowerOptions.MaxChannels"/> (under the <c>_perClient</c> lock).</summary>
    private int _held;
    private readonly WatchtowerOptions _options = null!;
    private readonly IChannelStore _store = null!;
    private readonly IAdjudicator _adjudicator = null!;
    private readonly IChainEventSource _chainEvents = null!;
    private readonly TimeProvider _time = null!;
    private readonly ILogger _logger = null!;
    private readonly ChannelEventHub _events = null!;

    /// <summary>For mocking only.</summary>
    protected WatchtowerService()
    {
    }

    private WatchtowerService(
        WatchtowerOptions options, IChannelStore store, IAdjudicator adjudicator, IChainEventSource chainEvents, TimeProvider time, ILogger logger)
    {
        _options = options;
        _store = store;
        _adjudicator = adjudicator;
        _chainEvents = chainEvents;
        _time = time;
        _logger = logger;
        _events = new ChannelEventHub(options.EventBufferSize);
    }

    /// <summary>The chain and adjudicator this tower watches: states must be signed in this domain.</summary>
    public virtual Eip712Domain Domain => _adjudicator.Domain;

    /// <summary>How many channels the tower holds (closed ones included).</summary>
    public virtual int ChannelCount => _channels.Values.Count(e => e.Record is not null);

    /// <summary>
    /// Creates a watchtower and loads its channels from <paramref name="store"/>, verifying each
    /// stored state's two signatures again (a record that does not verify is skipped and logged).
    /// </summary>
    /// <param name="options">The options.</param>
    /// <param name="store">The tower's own durable store (channels and its block cursor).</param>
    /// <param name="adjudicator">The chain port, sending from the tower's gas account.</param>
    /// <param name="chainEvents">The adjudicator's events on the same chain.</param>
    /// <param name="timeProvider">The clock; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="loggerFactory">Logging; default none.</param>
    /// <param name="cancellationToken">Cancels loading.</param>
    public static async Task<WatchtowerService> CreateAsync(
        WatchtowerOptions options,
        IChannelStore store,
        IAdjudicator adjudicator,
        IChainEventSource chainEvents,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(adjudicator);
        ArgumentNullException.ThrowIfNull(chainEvents);
        options.Validate();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<WatchtowerService>();
        var tower = new WatchtowerService(options, store, adjudicator, chainEvents, timeProvider ?? TimeProvider.System, logger);
        await foreach (var record in store.GetChannelsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (record.Latest is not { } latest || !record.Domain.Equals(tower.Domain) || tower.Check(record.Params, latest) is not null)
            {
                Log.TowerRecordInvalid(logger, record.Id, "stored state does not verify");
                continue;
            }

            tower._channels[record.Id] = new Entry { Record = record };
            tower.CountLoaded(record.MyIndex == 0 ? record.Params.Participant0 : record.Params.Participant1);
        }

        return tower;
    }

    /// <summary>The state the tower holds for a channel, or null if none.</summary>
    public virtual SignedState? GetLatest(ChannelId id) => _channels.TryGetValue(id, out var e) ? e.Record?.Latest : null;

    /// <summary>The tower's phase of a channel (Active, Disputed or Closed), or null if unknown.</summary>
    public virtual ChannelPhase? GetPhase(ChannelId id) => _channels.TryGetValue(id, out var e) ? e.Record?.Phase : null;

    /// <summary>Events of the tower (<see cref="DisputeSeen"/>, <see cref="DisputeRefuted"/>, <see cref="ChannelClosed"/>, <see cref="ChainStale"/>, <see cref="ChainFresh"/>) from now on.</summary>
    public virtual IAsyncEnumerable<ChannelEvent> EventsAsync(CancellationToken cancellationToken = default) =>
        _events.ReadAllAsync(cancellationToken);

    /// <summary>
    /// Takes a fully signed state to watch. Refused (not an exception) when the client is not a
    /// participant, the params or balances are invalid, a signature does not verify in this
    /// tower's domain, the tower is full for this client, or the version is not higher than the one
    /// held (an equal, identical state is accepted again: idempotent). Durable before it returns.
    /// <para>It never reads the chain: a new channel, or a higher version of a held one, is marked
    /// due and checked against the chain in the next pass of <see cref="RunAsync"/> (within
    /// <see cref="WatchtowerOptions.ChainPollInterval"/> while it runs), and again each pass until a
    /// look succeeds. So a registration already on chain (and already behind the tower's event
    /// cursor) is refuted, and a slow or unreachable node never fails or delays the submission.</para>
    /// </summary>
    /// <param name="client">The authenticated address of the submitting client.</param>
    /// <param name="channel">The channel's params.</param>
    /// <param name="state">The state, with both participants' signatures.</param>
    /// <param name="cancellationToken">Cancels the wait for the store.</param>
    /// <exception cref="StateChannelException">The store failed (<see cref="ErrorCode.StorageFailure"/>).</exception>
    public virtual async Task<WatchtowerReceipt> SubmitAsync(
        EthAddress client, ChannelParams channel, SignedState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(state);
        var id = state.State.ChannelId;
        if (client != channel.Participant0 && client != channel.Participant1)
        {
            return Refuse(id, "the client is not a participant of the channel");
        }

        if (Check(channel, state) is { } why)
        {
            return Refuse(id, why);
        }

        while (true)
        {
            var entry = _channels.GetOrAdd(id, _ => new Entry());
            await entry.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!_channels.TryGetValue(id, out var live) || !ReferenceEquals(live, entry))
                {
                    continue; // a refused first submission removed this entry meanwhile: start again
                }

                return entry.Record is null
                    ? await AddAsync(entry, client, channel, state, cancellationToken).ConfigureAwait(false)
                    : await ReplaceAsync(entry, state, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                entry.Lock.Release();
            }
        }
    }

    /// <summary>The first state of a channel (under the entry's lock).</summary>
    private async Task<WatchtowerReceipt> AddAsync(
        Entry entry, EthAddress client, ChannelParams channel, SignedState state, CancellationToken cancellationToken)
    {
        var id = state.State.ChannelId;
        if (!TryCount(client))
        {
            _channels.TryRemove(new KeyValuePair<ChannelId, Entry>(id, entry));
            return Refuse(id, $"at most {_options.MaxChannelsPerClient} channels per client and {_options.MaxChannels} in all");
        }

        // MyIndex records which participant registered the channel with the tower (its quota).
        var record = new ChannelRecord
        {
            Id = id, Params = channel, Domain = Domain, MyIndex = client == channel.Participant0 ? 0 : 1,
            Phase = ChannelPhase.Active, Latest = state, UpdatedAt = _time.GetUtcNow(),
        };
        try
        {
            await _store.WriteAsync(StoreBatch.Of(record), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Uncount(client);
            _channels.TryRemove(new KeyValuePair<ChannelId, Entry>(id, entry));
            throw;
        }

        entry.Record = record;
        MarkDue(id); // checked against the chain in the next pass: the registration may already be behind the cursor
        Log.TowerAccepted(_logger, id, state.State.Version);
        return new WatchtowerReceipt(id, true, state.State.Version, string.Empty);
    }

    /// <summary>A later state of a held channel (under the entry's lock): only a higher version replaces it.</summary>
    private async Task<WatchtowerReceipt> ReplaceAsync(Entry entry, SignedState state, CancellationToken cancellationToken)
    {
        var id = state.State.ChannelId;
        var held = entry.Record!;
        var current = held.Latest!;
        if (state.State.Version < current.State.Version
            || (state.State.Version == current.State.Version && state.State != current.State))
        {
            return new WatchtowerReceipt(id, false, current.State.Version, $"the tower holds version {current.State.Version}");
        }

        if (state.State.Version > current.State.Version)
        {
            var next = held with { Latest = state, UpdatedAt = _time.GetUtcNow() };
            await _store.WriteAsync(StoreBatch.Of(next), cancellationToken).ConfigureAwait(false);
            entry.Record = next;
            Log.TowerAccepted(_logger, id, state.State.Version);
            if (next.Phase != ChannelPhase.Closed)
            {
                MarkDue(id); // checked against the chain (a dispute answered with it) in the next pass, whatever the phase
            }
        }

        return new WatchtowerReceipt(id, true, state.State.Version, string.Empty);
    }

    /// <summary>Why a state cannot be watched, or null if it can.</summary>
    private string? Check(ChannelParams channel, SignedState state)
    {
        if (!channel.IsValid(out var invalid))
        {
            return invalid;
        }

        var id = Eip712.ComputeChannelId(Domain, channel);
        if (state.State.ChannelId != id)
        {
            return "the state is not of this channel on this tower's chain and adjudicator";
        }

        var total = channel.GetTotal().Value;
        if (state.State.Balance0.Value > total || state.State.Balance1.Value != total - state.State.Balance0.Value)
        {
            return "the balances do not add up to the channel's funding";
        }

        var digest = Eip712.HashState(Domain, state.State);
        if (!Ecdsa.Verify(digest, state.Sig0, channel.Participant0) || !Ecdsa.Verify(digest, state.Sig1, channel.Participant1))
        {
            return "the state is not signed by both participants";
        }

        return null;
    }

    private WatchtowerReceipt Refuse(ChannelId id, string why)
    {
        Log.TowerRefused(_logger, id, why);
        return new WatchtowerReceipt(id, false, GetLatest(id)?.State.Version ?? 0, why);
    }

    /// <summary>Makes the watcher's next pass look at <paramref name="id"/>.</summary>
    private void MarkDue(ChannelId id) => _retry[id] = Interlocked.Increment(ref _tickets);

    private void Count(EthAddress client) => _perClient.AddOrUpdate(client, 1, (_, n) => n + 1);

    /// <summary>Counts a channel loaded from the store (its client's quota and the tower's total).</summary>
    private void CountLoaded(EthAddress client)
    {
        lock (_perClient)
        {
            Count(client);
            _held++;
        }
    }

    private bool TryCount(EthAddress client)
    {
        lock (_perClient)
        {
            if (_perClient.GetValueOrDefault(client) >= _options.MaxChannelsPerClient || _held >= _options.MaxChannels)
            {
                return false;
            }

            _held++;

            Count(client);
            return true;
        }
    }

    private void Uncount(EthAddress client)
    {
        lock (_perClient)
        {
            _perClient.AddOrUpdate(client, 0, (_, n) => n - 1);
            _held--;
        }
    }

    /// <summary>One channel the tower holds. <see cref="Record"/> changes only under <see cref="Lock"/>, after the store made it durable.</summary>
    private sealed class Entry
    {
        private ChannelRecord? _record;

        public SemaphoreSlim Lock { get; } = new(1, 1);

        public ChannelRecord? Record
        {
            get => Volatile.Read(ref _record);
            set => Volatile.Write(ref _record, value);
        }
    }
}

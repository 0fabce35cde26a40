namespace StateChannels.Testing;

/// <summary>
/// An in-memory stand-in for the chain with the adjudicator deployed: the same rules as
/// contracts/src/Adjudicator.sol (deposits per participant, cooperative close, register/refute
/// with a fixed deadline, conclude, underfunded refunds, credits), with block time from a
/// <see cref="TimeProvider"/>. For fast unit tests of the engine; integration tests use anvil.
/// Thread-safe. Each client gets its own <see cref="SimulatedAdjudicator"/> view (its account).
/// </summary>
public sealed class SimulatedChain
{
    private readonly object _gate = new();
    private readonly Dictionary<ChannelId, Entry> _channels = [];
    private readonly Dictionary<(EthAddress Account, EthAddress Asset), Amount> _balances = [];
    private readonly List<ChainBlock> _blocks = [];
    private readonly List<AdjudicatorEvent> _events = [];
    private readonly List<(AdjudicatorEventKind Kind, ChannelId Id)> _pending = [];
    private DateTimeOffset? _haltedAt;

    /// <summary>Creates a chain.</summary>
    /// <param name="domain">The chain id and adjudicator address states are signed for.</param>
    /// <param name="time">Block time; tests pass a fake one to move past deadlines.</param>
    public SimulatedChain(Eip712Domain domain, TimeProvider? time = null)
    {
        Domain = domain;
        Time = time ?? TimeProvider.System;
        _blocks.Add(new ChainBlock(0, Hash32.CreateRandom(), Hash32.Zero, Time.GetUtcNow()));
        Events = new SimulatedEventSource(this);
    }

    /// <summary>The adjudicator's events and blocks: each successful transaction is mined in a block of its own.</summary>
    public SimulatedEventSource Events { get; }

    /// <summary>
    /// When true the chain stops producing blocks: the head's timestamp stays where it was (a stale
    /// node, or a halted chain). When false (the default) the head reads as current.
    /// </summary>
    public bool Halted
    {
        get
        {
            lock (_gate)
            {
                return _haltedAt is not null;
            }
        }

        set
        {
            lock (_gate)
            {
                _haltedAt = value ? _haltedAt ?? Time.GetUtcNow() : null;
            }
        }
    }

    /// <summary>When true every read of <see cref="Events"/> fails with <see cref="ErrorCode.ChainRpcFailure"/> (an unreachable node).</summary>
    public bool FailEventReads { get; set; }

    /// <summary>The newest block number.</summary>
    public ulong BlockNumber
    {
        get
        {
            lock (_gate)
            {
                return _blocks[^1].Number;
            }
        }
    }

    internal ChainHead Head()
    {
        lock (_gate)
        {
            FailIfAsked();
            var last = _blocks[^1];
            return new ChainHead(last with { Timestamp = _haltedAt ?? Time.GetUtcNow() }, last.Number);
        }
    }

    internal ChainBlock? Block(ulong number)
    {
        lock (_gate)
        {
            FailIfAsked();
            return number < (ulong)_blocks.Count ? _blocks[(int)number] : null;
        }
    }

    internal IReadOnlyList<AdjudicatorEvent> EventsIn(ulong from, ulong to)
    {
        lock (_gate)
        {
            FailIfAsked();
            return _events.Where(e => e.BlockNumber >= from && e.BlockNumber <= to).ToList();
        }
    }

    private void FailIfAsked()
    {
        if (FailEventReads)
        {
            throw new StateChannelException(ErrorCode.ChainRpcFailure, "simulated node failure");
        }
    }

    /// <summary>The domain of the simulated adjudicator.</summary>
    public Eip712Domain Domain { get; }

    /// <summary>The chain's clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>Transactions sent so far (each successful or reverted call counts one), for tests that check nothing is sent twice.</summary>
    public int TransactionCount { get; private set; }

    /// <summary>When set, the next transaction throws this instead of executing (fault injection).</summary>
    public Exception? FailNextTransaction { get; set; }

    /// <summary>An account's wallet balance of an asset (what payouts and withdrawals credit; deposits are not debited).</summary>
    public Amount BalanceOf(EthAddress account, EthAddress asset)
    {
        lock (_gate)
        {
            return _balances.GetValueOrDefault((account, asset));
        }
    }

    /// <summary>A view of the chain for one account.</summary>
    public SimulatedAdjudicator For(EthAddress account) => new(this, account);

    internal OnChainChannel Get(ChannelParams p)
    {
        lock (_gate)
        {
            var e = Find(p);
            return e is null
                ? new OnChainChannel(Amount.Zero, Amount.Zero, null, null, false)
                : new OnChainChannel(e.Held0, e.Held1, e.Registered?.Version, e.Registered is null ? null : e.Deadline, e.Concluded);
        }
    }

    internal void Deposit(ChannelParams p, int index, Amount expectedHeld, Amount amount) => Transact(() =>
    {
        Require(p.IsValid(out _), "InvalidParams");
        Require(index is 0 or 1, "InvalidParticipant");
        var e = GetOrAdd(p);
        Require(!e.Concluded, "ChannelConcluded");
        // A top-up, as Adjudicator.deposit: participant `index` ends up holding at most
        // expectedHeld + amount. Whatever anyone deposited for it meanwhile is counted, so a third
        // party's deposit never makes this one fail, and a repeated deposit adds nothing.
        var held = index == 0 ? e.Held0 : e.Held1;
        var target = expectedHeld + amount;
        if (held >= target)
        {
            return;
        }

        var credit = target - held < amount ? target - held : amount;
        if (index == 0)
        {
            e.Held0 += credit;
        }
        else
        {
            e.Held1 += credit;
        }

        Emit(AdjudicatorEventKind.Deposited, e.Id);
    });

    internal void Close(ChannelParams p, SignedState s) => Transact(() =>
    {
        Require(s.State.IsFinal, "NotFinal");
        var e = Verified(p, s);
        Require(e.Registered is null || s.State.Version >= e.Registered.Value.Version, "StaleVersion");
        Payout(p, e, s.State);
    });

    internal void Register(ChannelParams p, SignedState s) => Transact(() =>
    {
        var e = Verified(p, s);
        if (s.State.IsFinal)
        {
            Require(e.Registered is null || s.State.Version >= e.Registered.Value.Version, "StaleVersion");
            Payout(p, e, s.State);
            return;
        }

        var now = Time.GetUtcNow();
        if (e.Registered is not { } r)
        {
            e.Registered = s.State;
            e.Deadline = now + p.ChallengeDuration;
            Emit(AdjudicatorEventKind.Registered, e.Id);
            return;
        }

        if (s.State == r)
        {
            return; // identical re-registration is a no-op
        }

        Require(now < e.Deadline, "ChallengeTimedOut");
        Require(s.State.Version > r.Version, "StaleVersion");
        e.Registered = s.State; // the deadline never moves
        Emit(AdjudicatorEventKind.Refuted, e.Id);
    });

    internal void Conclude(ChannelParams p) => Transact(() =>
    {
        var e = Find(p);
        Require(e is { Registered: not null, Concluded: false }, "NotRegistered");
        Require(Time.GetUtcNow() >= e!.Deadline, "ChallengeNotOver");
        Payout(p, e, e.Registered!.Value);
    });

    internal void Withdraw(EthAddress account, EthAddress asset) => Transact(() =>
    {
        // Payouts here never fail, so there are never credits to withdraw.
        throw new StateChannelException(ErrorCode.TransactionFailed, "NothingToWithdraw");
    });

    private void Transact(Action action)
    {
        lock (_gate)
        {
            TransactionCount++;
            if (FailNextTransaction is { } fail)
            {
                FailNextTransaction = null;
                throw fail;
            }

            _pending.Clear();
            action();
            var parent = _blocks[^1];
            var block = new ChainBlock(parent.Number + 1, Hash32.CreateRandom(), parent.Hash, Time.GetUtcNow());
            _blocks.Add(block);
            for (var i = 0; i < _pending.Count; i++)
            {
                _events.Add(new AdjudicatorEvent(_pending[i].Kind, _pending[i].Id, block.Number, block.Hash, (ulong)i));
            }
        }
    }

    private void Emit(AdjudicatorEventKind kind, ChannelId id) => _pending.Add((kind, id));

    private Entry Verified(ChannelParams p, SignedState s)
    {
        var e = GetOrAdd(p);
        Require(!e.Concluded, "ChannelConcluded");
        Require(s.State.ChannelId == e.Id, "WrongChannel");
        Require(s.State.Balance0.Value <= p.GetTotal().Value && s.State.Balance1.Value == p.GetTotal().Value - s.State.Balance0.Value, "BalancesMismatch");
        var digest = Eip712.HashState(Domain, s.State);
        Require(Ecdsa.Verify(digest, s.Sig0, p.Participant0) && Ecdsa.Verify(digest, s.Sig1, p.Participant1), "InvalidSignature");
        return e;
    }

    private void Payout(ChannelParams p, Entry e, ChannelState s)
    {
        var funded = e.Held0 >= p.Funding0 && e.Held1 >= p.Funding1;
        var pay0 = funded ? s.Balance0 + (e.Held0 - p.Funding0) : e.Held0;
        var pay1 = funded ? s.Balance1 + (e.Held1 - p.Funding1) : e.Held1;
        Credit(p.Participant0, p.Asset, pay0);
        Credit(p.Participant1, p.Asset, pay1);
        e.Concluded = true;
        Emit(AdjudicatorEventKind.Concluded, e.Id);
        e.Held0 = Amount.Zero;
        e.Held1 = Amount.Zero;
    }

    private void Credit(EthAddress account, EthAddress asset, Amount amount) =>
        _balances[(account, asset)] = _balances.GetValueOrDefault((account, asset)) + amount;

    private Entry? Find(ChannelParams p) => _channels.GetValueOrDefault(Eip712.ComputeChannelId(Domain, p));

    private Entry GetOrAdd(ChannelParams p)
    {
        var id = Eip712.ComputeChannelId(Domain, p);
        if (!_channels.TryGetValue(id, out var e))
        {
            _channels[id] = e = new Entry(id);
        }

        return e;
    }

    private static void Require(bool condition, string error)
    {
        if (!condition)
        {
            throw new StateChannelException(ErrorCode.TransactionFailed, error);
        }
    }

    private sealed class Entry(ChannelId id)
    {
        public ChannelId Id { get; } = id;

        public Amount Held0 { get; set; }

        public Amount Held1 { get; set; }

        public ChannelState? Registered { get; set; }

        public DateTimeOffset Deadline { get; set; }

        public bool Concluded { get; set; }
    }
}

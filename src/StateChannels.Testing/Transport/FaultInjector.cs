namespace StateChannels.Testing;

/// <summary>
/// The faults an <see cref="InMemoryTransport"/> applies to frames (THREATS D1–D5): one-shot rules
/// ("drop the next frame matching this predicate"), a blackhole, and seeded random drop, duplicate
/// and reorder rates. Rules are checked in the order they were added; the first that matches a frame
/// applies and is used up; a frame that matches no rule may then get a random fault. Random draws come
/// from one <see cref="Random"/> per direction seeded from the transport's seed, so a run is
/// reproducible given the seed and the order in which each side sends. Thread-safe.
/// </summary>
public sealed class FaultInjector
{
    private readonly Lock _lock = new();
    private readonly List<(FaultKind Kind, Func<InMemoryFrame, bool> Match)> _rules = [];
    private readonly List<AppliedFault> _applied = [];
    private readonly Random _firstRandom;
    private readonly Random _secondRandom;
    private Func<InMemoryFrame, bool>? _blackhole;
    private double _dropProbability;
    private double _duplicateProbability;
    private double _reorderProbability;

    internal FaultInjector(int seed)
    {
        _firstRandom = new Random(HashCode.Combine(seed, 1));
        _secondRandom = new Random(HashCode.Combine(seed, 2));
    }

    /// <summary>Chance in [0, 1] that a frame no rule matched is dropped. Default 0.</summary>
    public double DropProbability
    {
        get => _dropProbability;
        set => _dropProbability = Probability(value);
    }

    /// <summary>Chance in [0, 1] that a frame no rule matched is delivered twice. Default 0.</summary>
    public double DuplicateProbability
    {
        get => _duplicateProbability;
        set => _duplicateProbability = Probability(value);
    }

    /// <summary>Chance in [0, 1] that a frame no rule matched is delivered after the next one in its direction. Default 0.</summary>
    public double ReorderProbability
    {
        get => _reorderProbability;
        set => _reorderProbability = Probability(value);
    }

    /// <summary>Every fault applied so far, in order.</summary>
    public IReadOnlyList<AppliedFault> Applied
    {
        get
        {
            lock (_lock)
            {
                return _applied.ToArray();
            }
        }
    }

    /// <summary>Drops the next frame that matches (D1).</summary>
    /// <param name="match">Which frame; <see langword="null"/> for the very next one.</param>
    /// <returns>This injector, for chaining.</returns>
    public FaultInjector DropNext(Func<InMemoryFrame, bool>? match = null) => Add(FaultKind.Dropped, match);

    /// <summary>Delivers the next frame that matches twice (D2).</summary>
    /// <param name="match">Which frame; <see langword="null"/> for the very next one.</param>
    /// <returns>This injector, for chaining.</returns>
    public FaultInjector DuplicateNext(Func<InMemoryFrame, bool>? match = null) => Add(FaultKind.Duplicated, match);

    /// <summary>Holds the next frame that matches and delivers it right after the next frame sent in the same
    /// direction, or at <see cref="InMemoryTransport.ReleaseDelayed"/> (D3). Lost if the link goes down first.</summary>
    /// <param name="match">Which frame; <see langword="null"/> for the very next one.</param>
    /// <returns>This injector, for chaining.</returns>
    public FaultInjector DelayNext(Func<InMemoryFrame, bool>? match = null) => Add(FaultKind.Delayed, match);

    /// <summary>When the next matching frame is sent, the link goes down instead; that send throws
    /// <see cref="StateChannelException"/> (<see cref="ErrorCode.PeerUnavailable"/>) (D4, disconnect before sending).</summary>
    /// <param name="match">Which frame; <see langword="null"/> for the very next one.</param>
    /// <returns>This injector, for chaining.</returns>
    public FaultInjector DisconnectBeforeNext(Func<InMemoryFrame, bool>? match = null) => Add(FaultKind.DisconnectedBefore, match);

    /// <summary>The next matching frame is delivered, then the link goes down (D4, disconnect after sending).</summary>
    /// <param name="match">Which frame; <see langword="null"/> for the very next one.</param>
    /// <returns>This injector, for chaining.</returns>
    public FaultInjector DisconnectAfterNext(Func<InMemoryFrame, bool>? match = null) => Add(FaultKind.DisconnectedAfter, match);

    /// <summary>From now on, frames that match vanish while sends keep succeeding and the link looks up (D5, half-open).</summary>
    /// <param name="match">Which frames; <see langword="null"/> for all, in both directions.</param>
    public void StartBlackhole(Func<InMemoryFrame, bool>? match = null)
    {
        lock (_lock)
        {
            _blackhole = match ?? (static _ => true);
        }
    }

    /// <summary>Ends the blackhole; frames already swallowed stay lost.</summary>
    public void StopBlackhole()
    {
        lock (_lock)
        {
            _blackhole = null;
        }
    }

    /// <summary>Removes every pending one-shot rule and the blackhole, and sets the random rates to 0.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _rules.Clear();
            _blackhole = null;
            _dropProbability = _duplicateProbability = _reorderProbability = 0;
        }
    }

    /// <summary>Picks the fault for a frame (or null to deliver it normally) and records it.</summary>
    internal FaultKind? Decide(in InMemoryFrame frame, bool fromFirst)
    {
        lock (_lock)
        {
            FaultKind? fault = Choose(frame, fromFirst ? _firstRandom : _secondRandom);
            if (fault is { } kind)
            {
                _applied.Add(new AppliedFault(kind, frame.From, frame.Index));
            }

            return fault;
        }
    }

    private FaultKind? Choose(in InMemoryFrame frame, Random random)
    {
        if (_blackhole is { } blackhole && blackhole(frame))
        {
            return FaultKind.Blackholed;
        }

        for (int i = 0; i < _rules.Count; i++)
        {
            if (_rules[i].Match(frame))
            {
                FaultKind kind = _rules[i].Kind;
                _rules.RemoveAt(i);
                return kind;
            }
        }

        if (_dropProbability == 0 && _duplicateProbability == 0 && _reorderProbability == 0)
        {
            return null;
        }

        // Always three draws per frame, so that one rate never shifts the others' sequence.
        double drop = random.NextDouble();
        double duplicate = random.NextDouble();
        double reorder = random.NextDouble();
        return drop < _dropProbability ? FaultKind.Dropped
            : duplicate < _duplicateProbability ? FaultKind.Duplicated
            : reorder < _reorderProbability ? FaultKind.Delayed
            : null;
    }

    private FaultInjector Add(FaultKind kind, Func<InMemoryFrame, bool>? match)
    {
        lock (_lock)
        {
            _rules.Add((kind, match ?? (static _ => true)));
        }

        return this;
    }

    private static double Probability(double value) =>
        value is >= 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "A probability is between 0 and 1.");
}

namespace StateChannels.Testing;

/// <summary>
/// A reconnectable in-memory link between two parties with fixed, authenticated addresses, for
/// protocol tests without sockets. <see cref="Connect"/> makes a connected pair of
/// <see cref="IMessageConnection"/>s; <see cref="Faults"/> drops, duplicates, reorders, disconnects or
/// blackholes frames (THREATS D1–D5) and persists across reconnects. Delivery happens inside
/// <see cref="InMemoryConnection.SendAsync"/>, so with a given <see cref="Seed"/> and the same order of
/// sends a run is reproducible. Thread-safe.
/// </summary>
/// <example>
/// <code>
/// var transport = new InMemoryTransport(alice, bob, seed: 42);
/// transport.Faults.DropNext(f => f.From == alice);   // lose Alice's next message
/// var (a, b) = transport.Connect();
/// </code>
/// </example>
public sealed class InMemoryTransport
{
    private readonly Lock _lock = new();
    private readonly List<byte[]> _heldFromFirst = [];
    private readonly List<byte[]> _heldFromSecond = [];
    private InMemoryConnectionPair? _current;
    private long _generation;
    private long _firstIndex;
    private long _secondIndex;

    /// <summary>Creates a link (not yet connected).</summary>
    /// <param name="first">The first party's address.</param>
    /// <param name="second">The second party's address; must differ from <paramref name="first"/>.</param>
    /// <param name="seed">Seeds the random faults.</param>
    /// <param name="maxFrameSize">Largest frame a send accepts, in bytes. Default 64 KiB, as the TCP transport.</param>
    /// <exception cref="ArgumentException">The addresses are equal.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxFrameSize"/> is not positive.</exception>
    public InMemoryTransport(EthAddress first, EthAddress second, int seed = 0, int maxFrameSize = 64 * 1024)
    {
        if (first == second)
        {
            throw new ArgumentException("The two parties must have different addresses.", nameof(second));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrameSize, 1);
        First = first;
        Second = second;
        Seed = seed;
        MaxFrameSize = maxFrameSize;
        Faults = new FaultInjector(seed);
    }

    /// <summary>The first party's address.</summary>
    public EthAddress First { get; }

    /// <summary>The second party's address.</summary>
    public EthAddress Second { get; }

    /// <summary>The seed of the random faults (print it when a test fails).</summary>
    public int Seed { get; }

    /// <summary>Largest frame a send accepts, in bytes.</summary>
    public int MaxFrameSize { get; }

    /// <summary>The faults applied to frames; shared by every connection of this link.</summary>
    public FaultInjector Faults { get; }

    /// <summary>Whether a pair made by <see cref="Connect"/> is up.</summary>
    public bool IsConnected
    {
        get
        {
            lock (_lock)
            {
                return _current is not null;
            }
        }
    }

    /// <summary>A fresh link with a connected pair and no faults.</summary>
    /// <param name="first">The first party's address.</param>
    /// <param name="second">The second party's address.</param>
    /// <param name="seed">Seeds the random faults.</param>
    /// <returns>The connected pair.</returns>
    public static InMemoryConnectionPair CreatePair(EthAddress first, EthAddress second, int seed = 0) =>
        new InMemoryTransport(first, second, seed).Connect();

    /// <summary>Connects the two parties; a pair still up is disconnected first (as a reconnect would).</summary>
    /// <returns>The new pair.</returns>
    public InMemoryConnectionPair Connect()
    {
        lock (_lock)
        {
            DisconnectLocked();
            long generation = ++_generation;
            var first = new InMemoryConnection(this, First, Second, generation);
            var second = new InMemoryConnection(this, Second, First, generation);
            first.Remote = second;
            second.Remote = first;
            _current = new InMemoryConnectionPair(first, second);
            return _current;
        }
    }

    /// <summary>Takes the current pair down: sends fail, receives return what was delivered and then null. Frames held back by <see cref="FaultInjector.DelayNext"/> are lost.</summary>
    public void Disconnect()
    {
        lock (_lock)
        {
            DisconnectLocked();
        }
    }

    /// <summary>Delivers the frames held back by <see cref="FaultInjector.DelayNext"/> (or a random reorder) now.</summary>
    public void ReleaseDelayed()
    {
        lock (_lock)
        {
            if (_current is { } pair)
            {
                Release(_heldFromFirst, pair.Second);
                Release(_heldFromSecond, pair.First);
            }
        }
    }

    internal void Send(InMemoryConnection from, ReadOnlyMemory<byte> payload)
    {
        lock (_lock)
        {
            if (from.IsClosed || from.Remote is not { } to)
            {
                throw Unavailable(from);
            }

            bool fromFirst = from.Local == First;
            long index = fromFirst ? _firstIndex++ : _secondIndex++;
            byte[] copy = payload.ToArray();
            List<byte[]> held = fromFirst ? _heldFromFirst : _heldFromSecond;
            switch (Faults.Decide(new InMemoryFrame(from.Local, to.Local, copy, index), fromFirst))
            {
                case null:
                    DeliverReleasing(to, copy, held);
                    break;
                case FaultKind.Dropped:
                case FaultKind.Blackholed:
                    break;
                case FaultKind.Duplicated:
                    to.Deliver(copy);
                    DeliverReleasing(to, copy, held);
                    break;
                case FaultKind.Delayed:
                    held.Add(copy);
                    break;
                case FaultKind.DisconnectedBefore:
                    DisconnectLocked();
                    throw Unavailable(from);
                case FaultKind.DisconnectedAfter:
                    DeliverReleasing(to, copy, held);
                    DisconnectLocked();
                    break;
            }
        }
    }

    internal void Close(InMemoryConnection connection)
    {
        lock (_lock)
        {
            if (_current is { } pair && pair.First.Generation == connection.Generation)
            {
                DisconnectLocked();
            }
            else
            {
                connection.MarkClosed();
            }
        }
    }

    private static void DeliverReleasing(InMemoryConnection to, byte[] frame, List<byte[]> held)
    {
        to.Deliver(frame);
        Release(held, to);
    }

    private static void Release(List<byte[]> held, InMemoryConnection to)
    {
        foreach (byte[] frame in held)
        {
            to.Deliver(frame);
        }

        held.Clear();
    }

    private static StateChannelException Unavailable(InMemoryConnection from) =>
        new(ErrorCode.PeerUnavailable, $"The in-memory link to {from.Peer} is down.");

    private void DisconnectLocked()
    {
        if (_current is { } pair)
        {
            pair.First.MarkClosed();
            pair.Second.MarkClosed();
            _current = null;
        }

        _heldFromFirst.Clear();
        _heldFromSecond.Clear();
    }
}

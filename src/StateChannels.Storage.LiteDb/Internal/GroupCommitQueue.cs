namespace StateChannels.Storage.LiteDb;

/// <summary>
/// The single writer of a store. LiteDB transactions are bound to the thread that began them
/// and LiteDB is synchronous, so all writes run on one dedicated thread: callers enqueue and
/// await; the thread takes everything queued (up to a limit), hands it to the apply callback as
/// one group (one transaction, one durable commit), and goes back to sleep when the queue is empty.
/// </summary>
internal sealed class GroupCommitQueue
{
    private readonly object _gate = new();
    private readonly Queue<PendingWrite> _queue = new();
    private readonly Action<List<PendingWrite>> _apply;
    private readonly Func<Exception, Exception> _wrap;
    private readonly int _maxGroup;
    private readonly Action? _onIdle;
    private readonly TimeSpan _idleDelay;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _closed;

    /// <param name="name">The thread's name.</param>
    /// <param name="maxGroup">The most operations applied as one group.</param>
    /// <param name="apply">Applies a group and completes each of its operations; should not throw.</param>
    /// <param name="wrap">Turns an unexpected exception of <paramref name="apply"/> into the one the group's callers see.</param>
    /// <param name="onIdle">Runs on the writer thread once it has had nothing to do for <paramref name="idleDelay"/> after some work; should not throw.</param>
    /// <param name="idleDelay">See <paramref name="onIdle"/>.</param>
    public GroupCommitQueue(string name, int maxGroup, Action<List<PendingWrite>> apply, Func<Exception, Exception> wrap, Action? onIdle = null, TimeSpan idleDelay = default)
    {
        _onIdle = onIdle;
        _idleDelay = idleDelay;
        _maxGroup = maxGroup;
        _apply = apply;
        _wrap = wrap;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
    }

    /// <summary>Completes when the writer thread has drained the queue after <see cref="CloseAsync"/> and exited.</summary>
    public Task Stopped => _stopped.Task;

    public void Start() => _thread.Start();

    /// <summary>Queues an operation and returns its completion.</summary>
    /// <exception cref="ObjectDisposedException">The queue is closed.</exception>
    public Task Submit(PendingWrite operation, CancellationToken cancellationToken, object owner)
    {
        operation.RegisterCancellation(cancellationToken);
        lock (_gate)
        {
            if (_closed)
            {
                var disposed = new ObjectDisposedException(owner.GetType().FullName, "The store is disposed.");
                operation.Fail(disposed);
                throw disposed;
            }

            _queue.Enqueue(operation);
            Monitor.Pulse(_gate);
        }

        return operation.Completion;
    }

    /// <summary>Refuses new operations; the writer finishes every queued one, then exits.</summary>
    public Task CloseAsync()
    {
        lock (_gate)
        {
            _closed = true;
            Monitor.PulseAll(_gate);
        }

        return _stopped.Task;
    }

    private void Run()
    {
        var group = new List<PendingWrite>(Math.Min(_maxGroup, 1024));
        bool workSinceIdle = false;
        while (true)
        {
            group.Clear();
            bool idle = false;
            lock (_gate)
            {
                while (_queue.Count == 0 && !_closed)
                {
                    if (workSinceIdle && _onIdle is not null)
                    {
                        if (!Monitor.Wait(_gate, _idleDelay) && _queue.Count == 0 && !_closed)
                        {
                            idle = true;
                            break;
                        }
                    }
                    else
                    {
                        Monitor.Wait(_gate);
                    }
                }

                if (idle)
                {
                    workSinceIdle = false;
                }
                else if (_queue.Count == 0)
                {
                    break;
                }
                else
                {
                    workSinceIdle = true;
                }

                while (group.Count < _maxGroup && _queue.TryDequeue(out PendingWrite? operation))
                {
                    if (operation.TryTake())
                    {
                        group.Add(operation);
                    }
                }
            }

            if (idle)
            {
                _onIdle!();
                continue;
            }

            if (group.Count == 0)
            {
                continue;
            }

            try
            {
                _apply(group);
            }
            catch (Exception ex)
            {
                Exception failure = _wrap(ex);
                foreach (PendingWrite operation in group)
                {
                    operation.Fail(failure);
                }
            }
        }

        _stopped.TrySetResult();
    }
}

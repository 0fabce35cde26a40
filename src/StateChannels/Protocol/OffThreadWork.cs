namespace StateChannels.Protocol;

/// <summary>
/// A piece of CPU work (a signature, a signature check) handed to an idle thread of the pool while
/// the caller does another; if no thread has started on it by the time the caller asks for the
/// result, the caller runs it itself, so a busy pool costs nothing but the queueing. The caller
/// decides what the result may be used for: sign-once and durability stay with <see cref="ChannelMachine"/>.
/// </summary>
/// <typeparam name="T">The result.</typeparam>
internal sealed class OffThreadWork<T> : IThreadPoolWorkItem
{
    private readonly Func<T> _work;

    /// <summary>Continuations run where the work was done (no further hand-off).</summary>
    private readonly TaskCompletionSource<T> _done = new();
    private int _taken;

    private OffThreadWork(Func<T> work) => _work = work;

    /// <summary>Queues <paramref name="work"/>.</summary>
    public static OffThreadWork<T> Start(Func<T> work)
    {
        var job = new OffThreadWork<T>(work);
        ThreadPool.UnsafeQueueUserWorkItem(job, preferLocal: false);
        return job;
    }

    /// <summary>The result: computed here if no thread has started on it yet, else when that thread is done.</summary>
    public Task<T> TakeOrWaitAsync()
    {
        Execute();
        return _done.Task;
    }

    /// <summary>The result is not wanted: not computed if no thread has started on it; else it is dropped.</summary>
    public void Abandon() => Interlocked.Exchange(ref _taken, 1);

    /// <inheritdoc />
    public void Execute()
    {
        if (Interlocked.Exchange(ref _taken, 1) != 0)
        {
            return;
        }

        try
        {
            _done.SetResult(_work());
        }
        catch (Exception e)
        {
            _done.SetException(e);
        }
    }
}

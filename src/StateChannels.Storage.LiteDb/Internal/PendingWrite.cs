namespace StateChannels.Storage.LiteDb;

/// <summary>
/// One write operation waiting for the group-commit writer. It is taken by the writer or
/// cancelled, never both: a caller whose cancellation wins knows nothing was written; once the
/// writer has taken it, the caller waits for the durable outcome.
/// </summary>
internal abstract class PendingWrite
{
    private const int Queued = 0;
    private const int Taken = 1;
    private const int Cancelled = 2;

    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenRegistration _registration;
    private int _state;

    /// <summary>Completes when the operation is durable, rejected, failed or cancelled.</summary>
    public Task Completion => _done.Task;

    /// <summary>Lets <paramref name="cancellationToken"/> withdraw the operation until the writer takes it.</summary>
    public void RegisterCancellation(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(
                static (state, token) => ((PendingWrite)state!).TryCancel(token), this);
        }
    }

    /// <summary>Called by the writer: true if the operation is now the writer's, false if it was cancelled.</summary>
    public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

    /// <summary>The operation is durable.</summary>
    public void Succeed()
    {
        _registration.Unregister();
        _done.TrySetResult();
    }

    /// <summary>The operation was rejected or failed; nothing of it is visible.</summary>
    public void Fail(Exception exception)
    {
        _registration.Unregister();
        _done.TrySetException(exception);
    }

    private void TryCancel(CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued)
        {
            _done.TrySetCanceled(token);
        }
    }
}

namespace StateChannels.Protocol;

/// <summary>
/// Our signature on a state, computed by an idle thread of the pool while the caller checks the
/// peer's signature; if no thread has taken it by the time the caller asks, the caller computes it
/// itself, so a busy pool costs nothing but the queueing. The caller decides whether the result is
/// ever used (sign-once stays with <see cref="ChannelMachine"/>).
/// </summary>
internal sealed class SigningJob : IThreadPoolWorkItem
{
    private readonly IChannelSigner _signer;
    private readonly Eip712Domain _domain;
    private readonly ChannelState _state;

    /// <summary>Continuations run where the signature was made (no further hand-off).</summary>
    private readonly TaskCompletionSource<Signature> _done = new();
    private int _taken;

    private SigningJob(IChannelSigner signer, Eip712Domain domain, ChannelState state)
    {
        _signer = signer;
        _domain = domain;
        _state = state;
    }

    /// <summary>Queues the signing of <paramref name="state"/>.</summary>
    public static SigningJob Start(IChannelSigner signer, Eip712Domain domain, ChannelState state)
    {
        var job = new SigningJob(signer, domain, state);
        ThreadPool.UnsafeQueueUserWorkItem(job, preferLocal: false);
        return job;
    }

    /// <summary>The signature: computed here if no thread has started on it yet, else when that thread is done.</summary>
    public Task<Signature> TakeOrWaitAsync()
    {
        Execute();
        return _done.Task;
    }

    /// <summary>The signature is not wanted: not computed if no thread has started on it; else its result is dropped.</summary>
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
            _done.SetResult(_signer.SignState(_domain, _state));
        }
        catch (Exception e)
        {
            _done.SetException(e);
        }
    }
}

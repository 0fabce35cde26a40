namespace StateChannels.Protocol;

/// <content>THREATS F3: the same key in two instances. Once proven, this client signs nothing more.</content>
internal sealed partial class ChannelMachine
{
    private void EnsureKeyNotInUse()
    {
        if (_engine.KeyInUse)
        {
            throw KeyInUseError();
        }
    }

    private StateChannelException KeyInUseError() =>
        new(ErrorCode.KeyInUse, $"channel {Id}: another instance signs with our key; this client signs nothing more until restarted");

    /// <summary>Stops all signing by this client and raises the alarm. The evidence itself is still adopted by the caller.</summary>
    private void KeyUsedElsewhere(ulong version, string detail)
    {
        _engine.MarkKeyInUse();
        StateChannels.Log.KeyInUse(Log, Id, version, detail);
        _engine.Events.Publish(new KeyInUseDetected(Id, version, detail));
    }

    /// <summary>Fails every payment (and a pending close) that waits to be proposed: none can be signed any more.</summary>
    private void FailQueuedKeyInUse()
    {
        if (_queue.Count == 0 && _pendingClose is null)
        {
            return;
        }

        var error = KeyInUseError();
        foreach (var p in _queue)
        {
            p.Completion.TrySetException(error);
        }

        _queue.Clear();
        if (_inflight is null && _pendingClose is { } close)
        {
            _pendingClose = null;
            close.TrySetException(error);
        }
    }
}

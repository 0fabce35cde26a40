namespace StateChannels.Integration.Tests.Lifecycle.Support;

/// <summary>
/// A connection that can go silent like a frozen or killed peer: from then on nothing it sends
/// leaves and nothing more arrives, while the socket stays open (the other side sees no close, only
/// silence, and must time out). <see cref="SilenceAfterNextProposal"/> lets the next proposal
/// through to its party (who signs it and records the intent), then silences the connection before
/// the answer can leave: a payment is in flight when the peer disappears.
/// </summary>
public sealed class SilenceableConnection(IMessageConnection inner) : IMessageConnection
{
    // Wire layout (docs/protocol.md): [protocol version][message type]...; 2 = ProposeUpdate.
    private const byte ProposeType = 2;

    private readonly TaskCompletionSource _silenced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _armed;

    public EthAddress Peer => inner.Peer;

    /// <summary>Completes when the connection has gone silent.</summary>
    public Task Silenced => _silenced.Task;

    public bool IsSilent => _silenced.Task.IsCompleted;

    public void SilenceAfterNextProposal() => _armed = true;

    public ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken = default) =>
        IsSilent ? ValueTask.CompletedTask : inner.SendAsync(frame, cancellationToken);

    public async ValueTask<ReadOnlyMemory<byte>?> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        if (IsSilent)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        var frame = await inner.ReceiveAsync(cancellationToken);
        if (_armed && frame is { Length: > 1 } f && f.Span[1] == ProposeType)
        {
            _silenced.TrySetResult();
        }

        return frame;
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}

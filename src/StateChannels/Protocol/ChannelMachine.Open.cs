namespace StateChannels.Protocol;

/// <content>Opening: version 0 is signed like any update, with the params sent first.</content>
internal sealed partial class ChannelMachine
{
    /// <summary>As opener: send the params and version 0; completes when version 0 is fully signed and durable.</summary>
    public async Task BeginOpenAsync(IPeerLink link, OpenRequest request, CancellationToken cancellationToken)
    {
        var completion = new TaskCompletionSource<SignedState>(TaskCreationOptions.RunContinuationsAsynchronously);
        await LockedAsync(async () =>
        {
            _link = link;
            _linkSince = _engine.Time.GetUtcNow();
            _synced = true;
            await SendAsync(request).ConfigureAwait(false);
            var v0 = ChannelState.Opening(Id, Params);
            await ProposeAsync(new Proposal(v0, Digest(v0), [], completion)).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        await completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>As responder to an open request: the connection it came on is this channel's link.</summary>
    public Task AttachAsync(IPeerLink link) => LockedAsync(() =>
    {
        _link = link;
        _linkSince = _engine.Time.GetUtcNow();
        _synced = true;
        return Task.CompletedTask;
    });
}

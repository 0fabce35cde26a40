namespace StateChannels.PeerHost;

/// <summary>The chain port as the engine sees it, printing each transaction it asks for (start, done or failed).</summary>
internal sealed class ReportingAdjudicator(IAdjudicator inner, Output output) : IAdjudicator
{
    public Eip712Domain Domain => inner.Domain;

    public ValueTask DepositAsync(ChannelParams channel, int index, Amount expectedHeld, Amount amount, CancellationToken cancellationToken = default) =>
        ReportAsync("deposit", () => inner.DepositAsync(channel, index, expectedHeld, amount, cancellationToken), ("expectedHeld", expectedHeld), ("amount", amount));

    public ValueTask<OnChainChannel> GetChannelAsync(ChannelParams channel, CancellationToken cancellationToken = default) =>
        inner.GetChannelAsync(channel, cancellationToken);

    public ValueTask CloseAsync(ChannelParams channel, SignedState finalState, CancellationToken cancellationToken = default) =>
        ReportAsync("close", () => inner.CloseAsync(channel, finalState, cancellationToken), ("version", finalState.State.Version));

    public ValueTask RegisterAsync(ChannelParams channel, SignedState state, CancellationToken cancellationToken = default) =>
        ReportAsync("register", () => inner.RegisterAsync(channel, state, cancellationToken), ("version", state.State.Version));

    public ValueTask ConcludeAsync(ChannelParams channel, CancellationToken cancellationToken = default) =>
        ReportAsync("conclude", () => inner.ConcludeAsync(channel, cancellationToken));

    public ValueTask WithdrawAsync(EthAddress asset, CancellationToken cancellationToken = default) =>
        ReportAsync("withdraw", () => inner.WithdrawAsync(asset, cancellationToken));

    private async ValueTask ReportAsync(string operation, Func<ValueTask> call, params (string Name, object? Value)[] fields)
    {
        output.Emit("tx", [("op", operation), ("phase", "start"), .. fields]);
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            output.Emit("tx", ("op", operation), ("phase", "failed"), ("type", e.GetType().Name), ("message", e.Message));
            throw;
        }

        output.Emit("tx", ("op", operation), ("phase", "done"));
    }
}

namespace StateChannels.Protocol;

/// <summary>A <c>PayAsync</c> call waiting for the state that carries it to be fully signed and durable.</summary>
internal sealed class PendingPayment(Amount amount, DateTimeOffset deadline)
{
    public Amount Amount { get; } = amount;

    /// <summary>When it fails with <see cref="ErrorCode.Timeout"/> if still not fully signed (and never signed by us).</summary>
    public DateTimeOffset Deadline { get; } = deadline;

    public TaskCompletionSource<PaymentReceipt> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

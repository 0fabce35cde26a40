namespace StateChannels.Protocol;

/// <summary>A <c>PayAsync</c> call waiting for the state that carries it to be fully signed and durable.</summary>
internal sealed class PendingPayment(Amount amount)
{
    public Amount Amount { get; } = amount;

    public TaskCompletionSource<PaymentReceipt> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

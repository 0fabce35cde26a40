namespace StateChannels.Protocol;

/// <summary>Our unsigned proposal in flight: we sign it only after the peer has (DESIGN.md section 4).</summary>
internal sealed class Proposal(ChannelState state, Hash32 digest, List<PendingPayment> payments, TaskCompletionSource<SignedState>? completion)
{
    public ChannelState State { get; } = state;

    /// <summary>The version of the fully signed state it was built on (sent as the Propose's base version).</summary>
    public ulong BaseVersion { get; set; }

    public Hash32 Digest { get; } = digest;

    /// <summary>When it was sent: the peer's answer is awaited from then (ChannelMachine.Waits.cs).</summary>
    public DateTimeOffset Since { get; set; }

    /// <summary>The payments this state carries (empty for open and close).</summary>
    public List<PendingPayment> Payments { get; } = payments;

    /// <summary>The earliest deadline of <see cref="Payments"/> (<see cref="DateTimeOffset.MaxValue"/> if none).</summary>
    public DateTimeOffset FirstDeadline { get; } = FirstDeadlineOf(payments);

    /// <summary>The sum of <see cref="Payments"/> (computed once: the list does not change after construction).</summary>
    public Amount Total { get; } = SumOf(payments);

    /// <summary>Completed with the fully signed state, for open and close proposals.</summary>
    public TaskCompletionSource<SignedState>? Completion { get; } = completion;

    /// <summary>The earliest deadline in <paramref name="payments"/> (no LINQ: this runs for every proposal).</summary>
    public static DateTimeOffset FirstDeadlineOf(List<PendingPayment> payments)
    {
        var first = DateTimeOffset.MaxValue;
        foreach (var p in payments)
        {
            first = p.Deadline < first ? p.Deadline : first;
        }

        return first;
    }

    public static Amount SumOf(List<PendingPayment> payments)
    {
        var total = Amount.Zero;
        foreach (var p in payments)
        {
            total += p.Amount;
        }

        return total;
    }

    public void Fail(Exception error)
    {
        foreach (var p in Payments)
        {
            p.Completion.TrySetException(error);
        }

        Completion?.TrySetException(error);
    }
}

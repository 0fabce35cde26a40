using StateChannels.Testing;

namespace StateChannels.Tests.Support;

/// <summary>What the review tests of stalls share: short timeouts, and watching whether Bob hangs up.</summary>
internal static class StallProbe
{
    /// <summary>Fast options with the given update timeout (and payment timeout, if given; else the default).</summary>
    public static StateChannelClientOptions Options(TimeSpan updateTimeout, TimeSpan? paymentTimeout = null)
    {
        var options = Party.FastOptions();
        options.CloseSubmitDelay = TimeSpan.FromMilliseconds(200);
        options.UpdateTimeout = updateTimeout;
        if (paymentTimeout is { } p)
        {
            options.PaymentTimeout = p;
        }

        return options;
    }

    /// <summary>Reads <paramref name="wire"/> for up to <paramref name="window"/>; true if Bob hung up in that time.</summary>
    public static async Task<bool> HungUpWithinAsync(InMemoryConnection wire, TimeSpan window)
    {
        using var cts = new CancellationTokenSource(window);
        try
        {
            while (true)
            {
                if (await wire.ReceiveAsync(cts.Token) is null)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends with <paramref name="send"/> once a second until Bob hangs up, <paramref name="pay"/>
    /// ends or <paramref name="total"/> has passed; true if Bob hung up (a send onto a link he has
    /// already dropped counts as that too).
    /// </summary>
    public static async Task<bool> RepeatUntilHungUpAsync(InMemoryConnection wire, Task pay, TimeSpan total, Func<Task> send)
    {
        var until = DateTime.UtcNow + total;
        while (DateTime.UtcNow < until && !pay.IsCompleted)
        {
            try
            {
                await send();
            }
            catch (StateChannelException)
            {
                return true; // the link is down: Bob dropped it
            }

            if (await HungUpWithinAsync(wire, TimeSpan.FromSeconds(1)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The exception <paramref name="task"/> ends with (within <see cref="RawPeer.Limit"/>), or null if it succeeds.</summary>
    public static async Task<Exception?> FailureOfAsync(Task task)
    {
        try
        {
            await task.WaitAsync(RawPeer.Limit);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}

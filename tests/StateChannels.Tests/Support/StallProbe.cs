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
}

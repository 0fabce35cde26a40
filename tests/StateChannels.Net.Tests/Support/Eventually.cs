namespace StateChannels.Net.Tests.Support;

/// <summary>Polls a condition until it holds or a generous deadline passes (no timing assertions).</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? within = null)
    {
        DateTime deadline = DateTime.UtcNow + (within ?? TestOptions.Patience);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Reads until the connection reports closed (null); fails if that takes longer than the deadline.</summary>
    public static async Task<int> DrainUntilClosedAsync(IMessageConnection connection, TimeSpan? within = null)
    {
        using var cts = new CancellationTokenSource(within ?? TestOptions.Patience);
        int frames = 0;
        while (await connection.ReceiveAsync(cts.Token) is not null)
        {
            frames++;
        }

        return frames;
    }
}

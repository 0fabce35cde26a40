using StateChannels.Samples.Wallet;

namespace StateChannels.Samples.PaymentDemo;

/// <summary>
/// The normal life of a channel: Alice and Bob pay each other many times at once, both ways, then
/// close cooperatively; the adjudicator pays each exactly its balance in the final state.
/// </summary>
internal static class PaymentStory
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    public static async Task RunAsync(DemoWorld world, DemoOptions options, Action<string> say, CancellationToken cancellationToken)
    {
        var (alice, bob) = (world.Alice, world.Bob);
        say($"Paying {options.Payments:N0} times, both ways at once ({options.Parallel} payments in flight per wallet):");

        // Each wallet pays half the payments, in batches so that progress can be shown. Amounts are
        // random but small enough that nobody runs out of funds.
        var maxAmount = Amount.FromWei(System.Numerics.BigInteger.Max(1, options.Deposit.ToBigInteger() / (2 * options.Payments)));
        var progress = new ProgressDisplay(options.Payments);
        using var stopDrawing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var drawing = progress.RunAsync(stopDrawing.Token);
        var paid = await Task.WhenAll(
            PayAsync(alice, (options.Payments + 1) / 2, seed: 1),
            PayAsync(bob, options.Payments / 2, seed: 2));
        await stopDrawing.CancelAsync();
        await drawing;
        say($"{options.Payments:N0} payments in {progress.Elapsed.TotalSeconds:0.0} s: {progress.PerSecond:N0} payments/s.");

        // Close: both sign a final state, and one transaction pays both out.
        var closed = await alice.SendAsync("close", CommandTimeout, cancellationToken);
        var version = closed.U64("version");
        var final = (Alice: closed.Amount("balance"), Bob: closed.Amount("peer-balance"));
        await WaitForFinalStateAsync(bob, version, cancellationToken);
        say($"Closed cooperatively with the final state v{version}, signed by both.");

        // What every payment adds up to must be the final state...
        var expectedAlice = options.Deposit - paid[0] + paid[1];
        if (final.Alice != expectedAlice || final.Alice + final.Bob != options.Deposit + options.Deposit)
        {
            throw new DemoFailure($"the final state gives Alice {final.Alice} wei, but her payments add up to {expectedAlice} wei");
        }

        // ...and the adjudicator must have paid exactly the final state.
        await Verdict.CompareAsync(world, $"final state v{version}", final, say);

        async Task<Amount> PayAsync(WalletProcess wallet, int count, int seed)
        {
            var random = new Random(seed);
            var sent = Amount.Zero;
            var batch = Math.Clamp(count / 10, 1, 250);
            for (var done = 0; done < count;)
            {
                var n = Math.Min(batch, count - done);
                var amount = Amount.FromWei(random.NextInt64(1, (long)Math.Min((ulong)long.MaxValue, (ulong)maxAmount.Value) + 1));
                var reply = await wallet.SendAsync($"pay {amount} {n} {options.Parallel}", CommandTimeout, cancellationToken);
                done += n;
                sent += Amount.FromWei(amount.ToBigInteger() * n);
                var mine = reply.Amount("balance");
                var theirs = reply.Amount("peer-balance");
                progress.Add(n, wallet == alice ? mine : theirs, wallet == alice ? theirs : mine);
            }

            return sent;
        }
    }

    /// <summary>The responder stores the final state when the closer's signature arrives: wait for it.</summary>
    private static async Task WaitForFinalStateAsync(WalletProcess wallet, ulong version, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var balance = await wallet.SendAsync("balance", CommandTimeout, cancellationToken);
            if (balance["final"] == "True" && balance.U64("version") == version)
            {
                return;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new DemoFailure($"{wallet.Name} never stored the final state v{version}");
    }
}

using StateChannels.Samples.Wallet;

namespace StateChannels.Samples.PaymentDemo;

/// <summary>
/// The dispute: Alice pays Bob, then turns thief and registers an old state that gave her more. Bob's
/// watcher refutes it on chain with the latest state (a strictly higher version, before the
/// deadline). After the deadline the watcher concludes, and the adjudicator pays out the latest
/// state: Bob gets every wei Alice paid him.
/// </summary>
internal static class DisputeStory
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(2);

    public static async Task RunAsync(DemoWorld world, DemoOptions options, TimeSpan challenge, Action<string> say, CancellationToken cancellationToken)
    {
        var (alice, bob) = (world.Alice, world.Bob);
        var tenth = Amount.FromWei(options.Deposit.ToBigInteger() / 10);
        var twentieth = Amount.FromWei(options.Deposit.ToBigInteger() / 20);

        // Payments both ways; every one is a new state signed by both.
        await alice.SendAsync($"pay {tenth} 4", StepTimeout, cancellationToken);
        say($"Alice paid Bob 4 x {AmountText.Format(tenth)}.");
        var latest = await bob.SendAsync($"pay {twentieth}", StepTimeout, cancellationToken);
        var version = latest.U64("version");
        say($"Bob paid Alice back {AmountText.Format(twentieth)}. Latest state: v{version}, Alice {AmountText.Format(latest.Amount("peer-balance"))}, Bob {AmountText.Format(latest.Amount("balance"))}.");
        var final = await SameStateAsync(alice, version, cancellationToken);

        // The theft: Alice registers the old state that paid her most, straight on the adjudicator.
        var bobMark = bob.Mark;
        var cheat = await alice.SendAsync("cheat-register best", StepTimeout, cancellationToken);
        say($"Alice turns thief: she registers the OLD state v{cheat["version"]} on chain, which gives her {AmountText.Format(cheat.Amount("balance"))}.");

        // Bob's watcher sees the registration and refutes it with the latest state.
        var refuted = await bob.WaitEventAsync("dispute-refuted", bobMark, StepTimeout, cancellationToken);
        var onChain = await bob.SendAsync("watch", StepTimeout, cancellationToken);
        say($"Bob's watcher saw v{refuted["registered"]} registered and refuted it with v{refuted["refuted"]}; the deadline is {onChain["deadline"].Replace('_', ' ')} (block time).");

        // The challenge period: on our own anvil, fast-forward the chain's clock; elsewhere, wait.
        if (world.IsLocal && await world.Chain.TryIncreaseTimeAsync(challenge + TimeSpan.FromSeconds(1)))
        {
            say($"Fast-forwarding the chain's clock past the {challenge.TotalMinutes:0.#}-minute challenge period (evm_increaseTime) ...");
        }
        else
        {
            say($"Waiting out the {challenge.TotalSeconds:0} s challenge period ...");
        }

        // After the deadline the watcher concludes: the adjudicator pays out the registered (latest) state.
        var closed = await bob.WaitEventAsync("closed", bobMark, challenge + StepTimeout, cancellationToken);
        say($"Bob's watcher concluded the channel with v{closed["version"]}.");
        await Verdict.CompareAsync(world, $"latest state v{version}", final, say);
        say($"The theft failed: Alice got {AmountText.Format(final.Alice)}, not the {AmountText.Format(cheat.Amount("balance"))} of v{cheat["version"]}.");
    }

    /// <summary>Waits until <paramref name="wallet"/> also holds <paramref name="version"/> and returns its balances (Alice, Bob).</summary>
    private static async Task<(Amount Alice, Amount Bob)> SameStateAsync(WalletProcess wallet, ulong version, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var balance = await wallet.SendAsync("balance", StepTimeout, cancellationToken);
            if (balance.U64("version") >= version)
            {
                return (balance.Amount("balance"), balance.Amount("peer-balance"));
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new DemoFailure($"{wallet.Name} never reached v{version}");
    }
}

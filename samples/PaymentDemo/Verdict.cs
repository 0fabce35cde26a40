using StateChannels.Samples.Wallet;

namespace StateChannels.Samples.PaymentDemo;

/// <summary>The end of both stories: what the adjudicator paid each participant, next to the state it should have paid.</summary>
internal static class Verdict
{
    /// <summary>The line the end-to-end tests look for.</summary>
    public const string MatchLine = "MATCH: the on-chain payouts equal the channel state to the wei.";

    /// <exception cref="DemoFailure">A payout differs from the state.</exception>
    public static async Task CompareAsync(DemoWorld world, string stateName, (Amount Alice, Amount Bob) state, Action<string> say)
    {
        // Payouts go to the participants' channel addresses, which pay no gas (the wallets' separate
        // on-chain accounts do): so each balance grew by exactly its payout.
        var (beforeAlice, beforeBob) = world.BalancesBefore;
        var payoutAlice = await world.Chain.BalanceAsync(world.Alice.Address) - beforeAlice;
        var payoutBob = await world.Chain.BalanceAsync(world.Bob.Address) - beforeBob;
        say(string.Empty);
        say($"                         {stateName + " (off chain)",-46} on chain: paid to the address");
        say($"  Alice {Short(world.Alice.Address)}  {AmountText.Format(state.Alice),-46} {AmountText.Format(payoutAlice)}");
        say($"  Bob   {Short(world.Bob.Address)}  {AmountText.Format(state.Bob),-46} {AmountText.Format(payoutBob)}");
        if (payoutAlice != state.Alice || payoutBob != state.Bob)
        {
            throw new DemoFailure($"MISMATCH: the chain paid Alice {payoutAlice} and Bob {payoutBob} wei, the state says {state.Alice} and {state.Bob}");
        }

        say(MatchLine);
    }

    private static string Short(EthAddress address) => address.ToString()[..10] + "..." + address.ToString()[^4..];
}

using System.Globalization;

namespace StateChannels.Samples.Wallet;

/// <content>
/// The demo's attack, kept apart from the real commands: it is what a wallet must never do, shown
/// so that PaymentDemo --dispute can prove the peer's watcher defeats it.
/// </content>
internal sealed partial class WalletCommands
{
    /// <summary>
    /// Demo only: what a thief would do. Registers an old fully signed state (one that pays us more
    /// than the latest) straight on the adjudicator, bypassing the client, which would never do it.
    /// The peer's watcher must refute it with the latest state before the deadline.
    /// </summary>
    private async Task CheatRegisterAsync(string which, CancellationToken cancellationToken)
    {
        if (!wallet.Settings.DemoCheats)
        {
            throw new InvalidOperationException("cheat-register is a demo of an attack: start the wallet with --demo-cheats to allow it");
        }

        var channel = RequireChannel();
        SignedState? old = null;
        await foreach (var state in wallet.Store.GetHistoryAsync(channel.Id, 0, cancellationToken))
        {
            var wanted = which == "best"
                ? old is null || state.State.BalanceOf(channel.MyIndex) > old.State.BalanceOf(channel.MyIndex)
                : state.State.Version == ulong.Parse(which, CultureInfo.InvariantCulture);
            if (wanted && !state.State.IsFinal)
            {
                old = state;
            }
        }

        if (old is null)
        {
            throw new InvalidOperationException($"no stored state matches '{which}'");
        }

        // Mallory does not refute her own theft.
        await wallet.StopWatcherAsync();
        await wallet.Adjudicator.RegisterAsync(channel.Params, old, cancellationToken);
        Replies.Ok(
            "cheat-register",
            ("version", old.State.Version),
            ("balance", old.State.BalanceOf(channel.MyIndex)),
            ("latest-version", channel.Latest?.State.Version),
            ("latest-balance", channel.MyBalance));
    }
}

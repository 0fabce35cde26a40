using System.Globalization;

namespace StateChannels.Samples.Wallet;

/// <summary>
/// The wallet's commands, one per line (see <see cref="Help"/>). Each ends with one
/// <c>ok</c> or <c>error</c> line (<see cref="Replies"/>).
/// </summary>
internal sealed partial class WalletCommands(WalletHost wallet)
{
    public const string Help = """
        commands:
          listen <ip:port>                    accept the peer (port 0: any free port)
          connect <key@ip:port> [peerAddress] dial the peer (its Noise key, as its listen printed), again after every drop
          open <myDeposit> <peerDeposit>      open a channel with the connected peer; waits for both deposits
          pay <amount> [times] [parallel]     pay the peer (times: how many payments, parallel: how many at once)
          balance                             the channel's latest fully signed state
          history [n]                         the last n signed states (default 10)
          close                               cooperative close: one transaction pays both out
          force-close                         close alone: register, wait out the challenge period, conclude
          watch                               the channel on chain; starts the watcher if it is off
          withdraw                            collect a payout the contract could not push to us
          cheat-register <version|best>       demo only (--demo-cheats): register an OLD state, as a thief would
          help, exit
        """;

    /// <summary>Runs one command line; false when the wallet should exit.</summary>
    public async Task<bool> ExecuteAsync(string line, CancellationToken cancellationToken)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0)
        {
            return true;
        }

        var command = words[0].ToLowerInvariant();
        try
        {
            switch (command)
            {
                case "listen":
                    var bound = wallet.Listen(WalletSettings.ParseEndPoint(Arg(words, 1, "ip:port")));
                    Replies.Ok("listen", ("endpoint", bound.EndPoint), ("peer-address", bound), ("address", wallet.Address));
                    break;
                case "connect":
                    var peer = words.Length > 2 ? EthAddress.Parse(words[2]) : wallet.Settings.Peer;
                    wallet.Connect(WalletSettings.ParsePeerAddress(Arg(words, 1, "noiseKey@ip:port")), peer);
                    Replies.Ok("connect", ("endpoint", words[1]));
                    break;
                case "open":
                    await OpenAsync(AmountText.Parse(Arg(words, 1, "myDeposit")), AmountText.Parse(Arg(words, 2, "peerDeposit")), cancellationToken);
                    break;
                case "pay":
                    await PayAsync(
                        AmountText.Parse(Arg(words, 1, "amount")),
                        words.Length > 2 ? Count(words[2]) : 1,
                        words.Length > 3 ? Count(words[3]) : 1,
                        cancellationToken);
                    break;
                case "balance":
                    Balance();
                    break;
                case "history":
                    await HistoryAsync(words.Length > 1 ? Count(words[1]) : 10, cancellationToken);
                    break;
                case "close":
                    await CloseAsync(cancellationToken);
                    break;
                case "force-close":
                    await ForceCloseAsync(cancellationToken);
                    break;
                case "watch":
                    await WatchAsync(cancellationToken);
                    break;
                case "withdraw":
                    await RequireChannel().WithdrawAsync(cancellationToken);
                    Replies.Ok("withdraw");
                    break;
                case "cheat-register":
                    await CheatRegisterAsync(Arg(words, 1, "version|best"), cancellationToken);
                    break;
                case "help":
                    foreach (var text in Help.Split('\n'))
                    {
                        Replies.Info(text.TrimEnd());
                    }

                    Replies.Ok("help");
                    break;
                case "exit" or "quit":
                    Replies.Ok("exit");
                    return false;
                default:
                    Replies.Error(command, "unknown command (try help)");
                    break;
            }
        }
        catch (StateChannelException e)
        {
            // The SDK's one exception family: the code says what kind of failure it was.
            Replies.Error(command, $"{e.Code}: {e.Message}");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            Replies.Error(command, e.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Replies.Error(command, "cancelled");
            return false;
        }

        return true;
    }

    private static string Arg(string[] words, int index, string name) =>
        index < words.Length ? words[index] : throw new ArgumentException($"usage: {words[0]} needs <{name}> (try help)");

    private static int Count(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"'{text}' is not a positive count");

    private Channel RequireChannel() =>
        wallet.CurrentChannel() ?? throw new InvalidOperationException("no channel yet (open one, or wait for the peer to open one)");

    private async Task OpenAsync(Amount myDeposit, Amount peerDeposit, CancellationToken cancellationToken)
    {
        // After a restart the channel is already there: carry on with it rather than open a second one.
        if (wallet.CurrentChannel() is { Phase: not ChannelPhase.Closed } existing)
        {
            await WaitActiveAsync(existing, cancellationToken);
            Replies.Ok("open", ("channel", existing.Id), ("reused", true), ("balance", existing.MyBalance), ("peer-balance", existing.PeerBalance));
            return;
        }

        for (var attempt = 1; ; attempt++)
        {
            var peer = await WaitConnectedAsync(cancellationToken);
            try
            {
                // snippet-begin: open-channel
                // Both sign version 0 and store it durably; then each deposits its share on chain.
                // Completes once both deposits are confirmed.
                var channel = await wallet.Client.OpenChannelAsync(peer, myDeposit, peerDeposit, cancellationToken);
                // snippet-end
                Replies.Ok("open", ("channel", channel.Id), ("reused", false), ("balance", channel.MyBalance), ("peer-balance", channel.PeerBalance));
                return;
            }
            catch (StateChannelException e) when (e.Code == ErrorCode.PeerUnavailable && attempt < 5 && wallet.CurrentChannel() is null)
            {
                // The connection dropped before version 0 was signed (nothing was deposited): the
                // transport reconnects by itself, so try again on the new connection.
                await Task.Delay(500, cancellationToken);
            }
        }
    }

    /// <summary>The connected peer; waits up to 30 s for the transport to (re)connect.</summary>
    private async Task<EthAddress> WaitConnectedAsync(CancellationToken cancellationToken)
    {
        for (var waited = 0; !wallet.Connected || wallet.Peer is null; waited += 100)
        {
            if (waited >= 30_000)
            {
                throw new InvalidOperationException("not connected to a peer (use listen or connect first)");
            }

            await Task.Delay(100, cancellationToken);
        }

        return wallet.Peer.Value;
    }

    private static async Task WaitActiveAsync(Channel channel, CancellationToken cancellationToken)
    {
        while (channel.Phase == ChannelPhase.Funding)
        {
            await Task.Delay(100, cancellationToken);
        }
    }

    private async Task PayAsync(Amount amount, int times, int parallel, CancellationToken cancellationToken)
    {
        var channel = RequireChannel();

        // snippet-begin: pay
        // PayAsync is thread-safe: payments made at once are coalesced into as few signed states as
        // possible, and each call still completes only when its own payment is durable on our side.
        var started = 0;
        var workers = Enumerable.Range(0, Math.Min(parallel, times)).Select(async _ =>
        {
            while (Interlocked.Increment(ref started) <= times)
            {
                await channel.PayAsync(amount, cancellationToken).ConfigureAwait(false);
            }
        });
        await Task.WhenAll(workers);
        // snippet-end
        var latest = channel.Latest!.State;
        Replies.Ok("pay", ("count", times), ("amount", amount), ("version", latest.Version), ("balance", channel.MyBalance), ("peer-balance", channel.PeerBalance));
    }

    private void Balance()
    {
        var channel = RequireChannel();
        Replies.Ok(
            "balance",
            ("channel", channel.Id),
            ("phase", channel.Phase),
            ("version", channel.Latest?.State.Version),
            ("balance", channel.MyBalance),
            ("peer-balance", channel.PeerBalance),
            ("final", channel.Latest?.State.IsFinal),
            ("connected", wallet.Connected));
        Replies.Info($"mine {AmountText.Format(channel.MyBalance)}, peer {AmountText.Format(channel.PeerBalance)}");
    }

    private async Task HistoryAsync(int last, CancellationToken cancellationToken)
    {
        var channel = RequireChannel();
        var rows = new Queue<SignedState>();
        await foreach (var state in wallet.Store.GetHistoryAsync(channel.Id, 0, cancellationToken))
        {
            rows.Enqueue(state);
            if (rows.Count > last)
            {
                rows.Dequeue();
            }
        }

        foreach (var s in rows)
        {
            var me = s.State.BalanceOf(channel.MyIndex);
            var peer = s.State.BalanceOf(1 - channel.MyIndex);
            Replies.Info($"v{s.State.Version,-8} mine {me,-24} peer {peer,-24}{(s.State.IsFinal ? " final" : string.Empty)}");
        }

        Replies.Ok("history", ("count", rows.Count));
    }

    private async Task CloseAsync(CancellationToken cancellationToken)
    {
        var channel = RequireChannel();

        // snippet-begin: close
        // Both sign a final state; then one transaction pays each participant its balance.
        await channel.CloseAsync(cancellationToken);
        // snippet-end
        var final = channel.Latest!.State;
        Replies.Ok("close", ("channel", channel.Id), ("version", final.Version), ("balance", channel.MyBalance), ("peer-balance", channel.PeerBalance));
    }

    private async Task ForceCloseAsync(CancellationToken cancellationToken)
    {
        var channel = RequireChannel();
        Replies.Info($"registering v{channel.Latest?.State.Version} on chain; then waiting out the challenge period ({channel.Params.ChallengeDurationSeconds} s of block time)");
        await channel.ForceCloseAsync(cancellationToken);
        Replies.Ok("force-close", ("channel", channel.Id), ("version", channel.Latest?.State.Version), ("balance", channel.MyBalance));
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        wallet.StartWatcher();
        var channel = RequireChannel();
        var view = await wallet.Adjudicator.GetChannelAsync(channel.Params, cancellationToken);
        Replies.Ok(
            "watch",
            ("watcher", wallet.Watching ? "on" : "off"),
            ("held0", view.Held0),
            ("held1", view.Held1),
            ("registered", view.RegisteredVersion),
            ("deadline", view.Deadline?.ToString("u", CultureInfo.InvariantCulture)),
            ("concluded", view.Concluded));
    }
}

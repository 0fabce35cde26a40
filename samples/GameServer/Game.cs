using System.Diagnostics;
using System.Globalization;
using StateChannels;
using StateChannels.Storage.LiteDb;
using StateChannels.Testing;

namespace GameServer;

/// <summary>One game: chain, hub, players; play; close every channel cooperatively; check the balances.</summary>
internal sealed class Game(GameSettings settings, TextWriter output)
{
    /// <summary>What each side deposits into each channel: 0.001 ETH.</summary>
    public static readonly Amount Funding = new(1_000_000_000_000_000);

    /// <summary>What one action costs the player: 1 gwei. The hub pays half of every payment back as a reward.</summary>
    public const ulong Price = 1_000_000_000;

    private static readonly TimeSpan Phase = TimeSpan.FromMinutes(3);

    /// <summary>Set by --memory: stores in memory instead of LiteDB files (not durable; to compare).</summary>
    public static bool InMemoryStores { get; set; }

    public static IChannelStore OpenStore(string dataDir, string name) =>
        InMemoryStores ? new InMemoryChannelStore() : LiteDbChannelStore.Open(Path.Combine(dataDir, name));

    public static StateChannelClientOptions ClientOptions() => new()
    {
        ChainPollInterval = TimeSpan.FromMilliseconds(50),
        UpdateTimeout = TimeSpan.FromSeconds(30),
        ChallengeDuration = TimeSpan.FromMinutes(10),
        MinChallengeDuration = TimeSpan.FromMinutes(10), // a local demo chain; the default floor is 1 hour
    };

    /// <summary>Runs the game; returns the exit code (0: the balances check out, 1: they do not).</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var data = Directory.CreateTempSubdirectory("statechannels-gameserver-");
        try
        {
            await using var chain = settings.Simulated
                ? new SimulatedGameChain()
                : (IGameChain)await AnvilGameChain.StartAsync(settings.Rpc, Say, cancellationToken).ConfigureAwait(false);
            InMemoryStores = settings.MemoryStores;
            Say($"chain: {chain.Description}; stores: {(settings.MemoryStores ? "in memory (not durable)" : "LiteDB files, durable commits")}");
            return await PlayOnAsync(chain, data.FullName, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                data.Delete(recursive: true);
            }
            catch (IOException)
            {
                // a file still open at exit: left in the temp folder
            }
        }
    }

    private async Task<int> PlayOnAsync(IGameChain chain, string data, CancellationToken cancellationToken)
    {
        await using var hub = await Hub.StartAsync(chain, Funding, settings.Players, settings.WebSocket, data, cancellationToken).ConfigureAwait(false);
        using var stats = new LiveStats(hub.Address);
        var players = new List<Player>();
        try
        {
            var clock = Stopwatch.StartNew();
            Say($"hub {hub.Address} listening on {hub.Listening}; opening {settings.Players} channels ({Eth(Funding)} ETH each side)...");
            for (var i = 0; i < settings.Players; i++)
            {
                players.Add(await Player.JoinAsync(i, chain, hub, settings.Players, data, cancellationToken).ConfigureAwait(false));
            }

            await InTimeAsync(
                Task.WhenAll(players.Select(p => p.OpenAsync(hub.Address, Funding, Funding, cancellationToken))), "opening the channels", cancellationToken)
                .ConfigureAwait(false);
            Say($"{settings.Players} channels open in {clock.Elapsed.TotalSeconds:F1} s; playing for {settings.Duration.TotalSeconds:F0} s"
                + (settings.Payments is { } n ? $" or {n:N0} player payments" : "") + $", {settings.InFlight} actions in flight per player");

            await PlayAsync(players, hub, stats, cancellationToken).ConfigureAwait(false);

            clock.Restart();
            Say($"closing {settings.Players} channels cooperatively...");
            await InTimeAsync(Task.WhenAll(players.Select(p => p.Channel.CloseAsync(cancellationToken))), "closing the channels", cancellationToken)
                .ConfigureAwait(false);
            Say($"closed in {clock.Elapsed.TotalSeconds:F1} s");
            return await CheckBalancesAsync(chain, hub, players, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var p in players)
            {
                await p.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task PlayAsync(List<Player> players, Hub hub, LiveStats stats, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(settings.Duration);
        var budget = new Budget(settings.Payments);
        var clock = Stopwatch.StartNew();
        stats.TakeWindow(); // opening is not play
        var play = Task.WhenAll(players.Select(p => p.PlayAsync(Price, settings.InFlight, budget, stop.Token)));
        long lastCount = 0;
        var lastTime = TimeSpan.Zero;
        while (!play.IsCompleted)
        {
            await Task.WhenAny(play, Task.Delay(TimeSpan.FromSeconds(1), cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            var now = clock.Elapsed;
            var count = stats.PlayerPayments + stats.HubPayments;
            var (p50, p99, _) = stats.TakeWindow();
            var interval = (now - lastTime).TotalSeconds;
            if (interval < 0.5)
            {
                continue; // the last, partial second: the summary covers it
            }

            var rate = (count - lastCount) / interval;
            Say($"  t={now.TotalSeconds,5:F1}s  {rate,8:N0} payments/s  (players {stats.PlayerPayments:N0}, rewards {stats.HubPayments:N0})  p50 {p50,6:F2} ms  p99 {p99,7:F2} ms");
            (lastCount, lastTime) = (count, now);
        }

        await play.ConfigureAwait(false); // a failed payment fails the game here
        var elapsed = clock.Elapsed;
        await InTimeAsync(hub.StopRewardsAsync(), "the last rewards", cancellationToken).ConfigureAwait(false);
        var total = stats.PlayerPayments + stats.HubPayments;
        var (op50, op99, _) = stats.Overall();
        var states = Math.Max(1, stats.StatesSigned);
        Say(string.Create(CultureInfo.InvariantCulture,
            $"summary: {total:N0} payments in {elapsed.TotalSeconds:F1} s = {total / elapsed.TotalSeconds:N0} payments/s with {settings.Players} players "
            + $"(players paid {stats.PlayerPayments:N0} actions, hub paid {stats.HubPayments:N0} rewards); latency p50 {op50:F2} ms, p99 {op99:F2} ms; "
            + $"{states:N0} states signed by the hub ({(double)total / states:F1} payments per state)"));
        if (hub.RewardFailures > 0)
        {
            Say($"note: {hub.RewardFailures} rewards were refused and not counted");
        }
    }

    private async Task<int> CheckBalancesAsync(IGameChain chain, Hub hub, List<Player> players, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        var hubExpected = Amount.Zero;
        foreach (var p in players)
        {
            var paid = p.Paid;
            var rewards = hub.RewardsPaid(p.Channel.Id);
            var expectedPlayer = Funding - paid + rewards;
            var expectedHub = Funding + paid - rewards;
            hubExpected += expectedHub;
            var final = p.Channel.Latest;
            if (final is null || !final.State.IsFinal)
            {
                failures.Add($"player {p.Number}: no final state");
                continue;
            }

            if (final.State.BalanceOf(p.Channel.MyIndex) != expectedPlayer || final.State.BalanceOf(1 - p.Channel.MyIndex) != expectedHub)
            {
                failures.Add($"player {p.Number}: final state gives {final.State.BalanceOf(p.Channel.MyIndex)}/{final.State.BalanceOf(1 - p.Channel.MyIndex)}, expected {expectedPlayer}/{expectedHub}");
            }

            var onChain = await chain.BalanceOfAsync(p.Address, cancellationToken).ConfigureAwait(false);
            if (onChain != expectedPlayer)
            {
                failures.Add($"player {p.Number}: paid out {onChain} on chain, expected {expectedPlayer}");
            }
        }

        var hubOnChain = await chain.BalanceOfAsync(hub.Address, cancellationToken).ConfigureAwait(false);
        if (hubOnChain != hubExpected)
        {
            failures.Add($"hub: paid out {hubOnChain} on chain, expected {hubExpected}");
        }

        if (failures.Count > 0)
        {
            foreach (var f in failures)
            {
                Say("  " + f);
            }

            Say($"balance check: FAILED ({failures.Count} mismatches)");
            return 1;
        }

        var hubFunding = new Amount(Funding.Value * (ulong)players.Count);
        var hubNet = hubExpected >= hubFunding ? "+" + Eth(hubExpected - hubFunding) : "-" + Eth(hubFunding - hubExpected);
        Say($"balance check: OK ({players.Count} channels of {Eth(Funding + Funding)} ETH; final states and on-chain payouts equal the expected balances; hub net {hubNet} ETH)");
        return 0;
    }

    private static async Task InTimeAsync(Task task, string what, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(Phase, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new GameException($"{what} took longer than {Phase.TotalMinutes:F0} minutes");
        }
    }

    private static string Eth(Amount wei) =>
        ((decimal)wei.Value / 1_000_000_000_000_000_000m).ToString("0.#########", CultureInfo.InvariantCulture);

    private void Say(string line)
    {
        output.WriteLine(line);
        output.Flush();
    }
}

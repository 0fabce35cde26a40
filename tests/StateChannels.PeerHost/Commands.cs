using System.Diagnostics;
using System.Globalization;

namespace StateChannels.PeerHost;

/// <summary>
/// The script language, one command per line. Every command ends with a <c>done</c> line (or
/// <c>error</c>) carrying the command text; background workloads end theirs when stopped.
/// <list type="bullet">
/// <item><c>open &lt;myFunding&gt; &lt;peerFunding&gt;</c>: open a channel with the peer (wei), or use the one already past opening (after a restart); waits until active.</item>
/// <item><c>wait-channel</c>: wait until a channel with the peer is active.</item>
/// <item><c>pay &lt;count&gt; &lt;min&gt; &lt;max&gt; &lt;concurrency&gt; &lt;seed&gt;</c>: that many payments of random amounts, that many at once.</item>
/// <item><c>pay-forever &lt;min&gt; &lt;max&gt; &lt;concurrency&gt; &lt;seed&gt;</c>: the same without end, in the background, until <c>stop</c>.</item>
/// <item><c>stop</c>: stop the background workload and wait for its payments in flight.</item>
/// <item><c>lockstep &lt;rounds&gt; &lt;periodMs&gt; &lt;startUnixMs&gt; &lt;amount&gt;</c>: one payment at each tick of a clock shared with the peer (both propose at once).</item>
/// <item><c>await-version &lt;v&gt;</c>: wait until the latest fully signed version is at least v.</item>
/// <item><c>report</c>: print the channel's latest state.</item>
/// <item><c>close</c>: cooperative close on chain.</item>
/// <item><c>exit</c>: stop everything and exit with 0.</item>
/// </list>
/// Every payment prints <c>pay</c> (id, amount) before it is made and <c>ack</c> (id, amount,
/// version, balance) once <c>PayAsync</c> returned, i.e. once it is durable; failures print <c>payfail</c>.
/// </summary>
internal sealed class Commands(PeerNode node, Output output, string run)
{
    private long _nextPayment;
    private long _acked;
    private CancellationTokenSource? _foreverStop;
    private Task? _forever;

    /// <summary>Runs one command; false for <c>exit</c>.</summary>
    public async Task<bool> ExecuteAsync(string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        try
        {
            switch (words[0])
            {
                case "open":
                    await OpenAsync(Amount.Parse(words[1]), Amount.Parse(words[2])).ConfigureAwait(false);
                    break;
                case "wait-channel":
                    await WaitActiveAsync().ConfigureAwait(false);
                    break;
                case "pay":
                    await PayAsync(line, Int(words[1]), UInt(words[2]), UInt(words[3]), (int)Int(words[4]), (int)Int(words[5])).ConfigureAwait(false);
                    break;
                case "pay-forever":
                    StartForever(UInt(words[1]), UInt(words[2]), (int)Int(words[3]), (int)Int(words[4]));
                    break;
                case "stop":
                    await StopAsync().ConfigureAwait(false);
                    break;
                case "lockstep":
                    await LockstepAsync(Int(words[1]), Int(words[2]), Int(words[3]), UInt(words[4])).ConfigureAwait(false);
                    break;
                case "await-version":
                    var target = (ulong)Int(words[1]);
                    await UntilAsync(() => RequireChannel().Latest is { } l && l.State.Version >= target).ConfigureAwait(false);
                    break;
                case "report":
                    Report();
                    break;
                case "close":
                    await RequireChannel().CloseAsync().ConfigureAwait(false);
                    break;
                case "exit":
                    output.Emit("done", ("cmd", line));
                    return false;
                default:
                    throw new ArgumentException("unknown command");
            }

            output.Emit("done", ("cmd", line));
        }
        catch (Exception e)
        {
            output.Emit("error", ("cmd", line), ("type", e.GetType().Name), ("message", e.Message));
        }

        return true;
    }

    public async Task StopAsync()
    {
        if (_forever is { } forever)
        {
            await _foreverStop!.CancelAsync().ConfigureAwait(false);
            await forever.ConfigureAwait(false);
            _forever = null;
        }
    }

    private static long Int(string s) => long.Parse(s, CultureInfo.InvariantCulture);

    private static ulong UInt(string s) => ulong.Parse(s, CultureInfo.InvariantCulture);

    private Channel RequireChannel() => node.FindChannel() ?? throw new InvalidOperationException("no channel with the peer yet");

    private static async Task UntilAsync(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    private async Task OpenAsync(Amount mine, Amount theirs)
    {
        while (node.FindChannel() is null)
        {
            if (!node.IsConnected)
            {
                await Task.Delay(20).ConfigureAwait(false);
                continue;
            }

            try
            {
                await node.Client.OpenChannelAsync(node.Peer, mine, theirs).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StateChannelException or OperationCanceledException)
            {
                // The peer went away mid-open (killed): the next attempt opens afresh, unless the
                // interrupted one got past version 0 (then FindChannel sees it).
                output.Emit("open-retry", ("type", e.GetType().Name), ("message", e.Message));
                await Task.Delay(100).ConfigureAwait(false);
            }
        }

        await WaitActiveAsync().ConfigureAwait(false);
    }

    private async Task WaitActiveAsync()
    {
        await UntilAsync(() => node.FindChannel() is { Phase: not ChannelPhase.Funding }).ConfigureAwait(false);
        var channel = RequireChannel();
        output.Emit(
            "channel",
            ("id", channel.Id),
            ("index", channel.MyIndex),
            ("phase", channel.Phase),
            ("address", node.Client.Address),
            ("peer", channel.Peer),
            ("funding0", channel.Params.Funding0),
            ("funding1", channel.Params.Funding1));
    }

    private void Report()
    {
        var channel = RequireChannel();
        var latest = channel.Latest;
        output.Emit(
            "report",
            ("id", channel.Id),
            ("index", channel.MyIndex),
            ("phase", channel.Phase),
            ("version", latest?.State.Version),
            ("b0", latest?.State.Balance0),
            ("b1", latest?.State.Balance1),
            ("final", latest?.State.IsFinal),
            ("acked", Interlocked.Read(ref _acked)));
    }

    /// <summary>One payment: printed before, acknowledged after it is durable.</summary>
    private async Task PayOneAsync(Channel channel, Amount amount, CancellationToken cancellationToken = default)
    {
        var id = $"{run}-{Interlocked.Increment(ref _nextPayment)}";
        output.Emit("pay", ("id", id), ("amount", amount));
        try
        {
            var receipt = await channel.PayAsync(amount, cancellationToken).ConfigureAwait(false);
            output.Emit("ack", ("id", id), ("amount", amount), ("version", receipt.Version), ("balance", receipt.MyBalance));
            Interlocked.Increment(ref _acked);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            output.Emit("paycancel", ("id", id));
        }
        catch (StateChannelException e)
        {
            output.Emit("payfail", ("id", id), ("code", e.Code), ("message", e.Message));
            await Task.Delay(50, CancellationToken.None).ConfigureAwait(false); // no hot loop of failures
        }
    }

    private async Task PayAsync(string line, long count, ulong min, ulong max, int concurrency, int seed)
    {
        var channel = RequireChannel();
        var rng = new Random(seed);
        var amounts = Enumerable.Range(0, (int)count).Select(_ => (Amount)(ulong)rng.NextInt64((long)min, (long)max + 1)).ToArray();
        var next = -1;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async w =>
        {
            var local = new Random(seed * 7919 + w);
            int i;
            while ((i = Interlocked.Increment(ref next)) < amounts.Length)
            {
                if (local.Next(8) == 0)
                {
                    await Task.Yield(); // shuffle the interleaving of this side's workers
                }

                await PayOneAsync(channel, amounts[i]).ConfigureAwait(false);
            }
        }).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        output.Emit("stats", ("cmd", line), ("payments", count), ("seconds", clock.Elapsed.TotalSeconds));
    }

    private void StartForever(ulong min, ulong max, int concurrency, int seed)
    {
        if (_forever is not null)
        {
            throw new InvalidOperationException("a workload is already running");
        }

        var channel = RequireChannel();
        _foreverStop = new CancellationTokenSource();
        var stop = _foreverStop.Token;
        _forever = Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var rng = new Random(seed * 7919 + w);
            while (!stop.IsCancellationRequested)
            {
                await PayOneAsync(channel, (ulong)rng.NextInt64((long)min, (long)max + 1)).ConfigureAwait(false);
            }
        })));
    }

    private async Task LockstepAsync(long rounds, long periodMs, long startUnixMs, ulong amount)
    {
        var channel = RequireChannel();
        for (var i = 0L; i < rounds; i++)
        {
            // Both processes wait for the same tick of the wall clock, then propose: nearly always at once.
            var tick = DateTimeOffset.FromUnixTimeMilliseconds(startUnixMs + (i * periodMs));
            var wait = tick - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.FromMilliseconds(2))
            {
                await Task.Delay(wait - TimeSpan.FromMilliseconds(2)).ConfigureAwait(false);
            }

            while (DateTimeOffset.UtcNow < tick)
            {
                Thread.SpinWait(20);
            }

            await PayOneAsync(channel, amount).ConfigureAwait(false);
        }
    }
}

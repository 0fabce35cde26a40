using System.Diagnostics;

namespace StateChannels.Samples.PaymentDemo;

/// <summary>
/// The live progress line: payments done, payments per second, both balances. Redrawn in place on a
/// terminal; when the output is redirected (CI, tests), a line at each tenth of the way instead.
/// </summary>
internal sealed class ProgressDisplay(int total)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private int _done;
    private string _balances = string.Empty;
    private int _lastTenth;

    public TimeSpan Elapsed => _clock.Elapsed;

    public double PerSecond => _done / Math.Max(_clock.Elapsed.TotalSeconds, 0.001);

    /// <summary>Counts finished payments and the latest balances.</summary>
    public void Add(int payments, Amount alice, Amount bob)
    {
        lock (_lock)
        {
            _done += payments;
            _balances = $"Alice {Eth(alice)}  Bob {Eth(bob)}";
            if (Console.IsOutputRedirected && _done * 10 / total > _lastTenth)
            {
                _lastTenth = _done * 10 / total;
                Console.WriteLine("  " + Line());
            }
        }
    }

    /// <summary>Redraws the line until <paramref name="cancellationToken"/> fires (terminal only).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Console.IsOutputRedirected)
        {
            return;
        }

        try
        {
            while (true)
            {
                Draw();
                await Task.Delay(100, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            Draw();
            Console.WriteLine();
        }
    }

    private void Draw()
    {
        lock (_lock)
        {
            Console.Write("\r  " + Line().PadRight(Math.Max(0, Width() - 3)));
        }
    }

    private static int Width()
    {
        try
        {
            return Console.WindowWidth;
        }
        catch (IOException)
        {
            return 100;
        }
    }

    private string Line() =>
        $"payments {_done,6:N0}/{total:N0}  {PerSecond,7:N0}/s  {_clock.Elapsed.TotalSeconds,5:0.0} s  {_balances}";

    private static string Eth(Amount amount) =>
        ((decimal)amount.ToBigInteger() / 1_000_000_000_000_000_000m).ToString("0.000000000 ETH", System.Globalization.CultureInfo.InvariantCulture);
}

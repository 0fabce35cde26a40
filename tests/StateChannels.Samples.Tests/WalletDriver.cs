using System.Diagnostics;

namespace StateChannels.Samples.Tests;

/// <summary>One samples/Wallet process for the tests: commands on stdin, parsed reply lines from stdout.</summary>
internal sealed class WalletDriver : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<string> _stderr = [];
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _changed = new(0);

    private WalletDriver(Process process) => _process = process;

    public int Mark
    {
        get
        {
            lock (_lock)
            {
                return _lines.Count;
            }
        }
    }

    public static async Task<(WalletDriver Wallet, Dictionary<string, string> Start)> StartAsync(IEnumerable<string> args, string txKey)
    {
        var psi = new ProcessStartInfo(SamplePaths.Dotnet)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(SamplePaths.WalletDll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["WALLET_TX_KEY"] = txKey;
        var driver = new WalletDriver(Process.Start(psi)!);
        driver._process.OutputDataReceived += (_, e) => driver.Add(e.Data);
        driver._process.ErrorDataReceived += (_, e) => { lock (driver._lock) { driver._stderr.Add(e.Data ?? string.Empty); } };
        driver._process.BeginOutputReadLine();
        driver._process.BeginErrorReadLine();
        var start = await driver.WaitAsync("ok start", 0);
        return (driver, start);
    }

    /// <summary>Sends a command; returns the fields of its <c>ok</c> line (fails the test on <c>error</c>).</summary>
    public async Task<Dictionary<string, string>> SendAsync(string command)
    {
        var verb = command.Split(' ')[0];
        var mark = Mark;
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        var reply = await WaitAnyAsync(l => l.StartsWith($"ok {verb}", StringComparison.Ordinal) || l.StartsWith($"error {verb}", StringComparison.Ordinal), mark);
        Assert.True(reply.StartsWith("ok", StringComparison.Ordinal), $"'{command}' failed: {reply}");
        return Fields(reply);
    }

    /// <summary>Waits for a line starting with <paramref name="prefix"/> after <paramref name="mark"/>.</summary>
    public async Task<Dictionary<string, string>> WaitAsync(string prefix, int mark) =>
        Fields(await WaitAnyAsync(l => l.StartsWith(prefix, StringComparison.Ordinal), mark));

    /// <summary>kill -9: no chance to close anything.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await _process.StandardInput.WriteLineAsync("exit");
                await _process.StandardInput.FlushAsync();
                await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            lock (_lock)
            {
                _lines.Add(line);
            }
        }

        _changed.Release();
    }

    private async Task<string> WaitAnyAsync(Func<string, bool> match, int mark)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            lock (_lock)
            {
                for (var i = mark; i < _lines.Count; i++)
                {
                    if (match(_lines[i]))
                    {
                        return _lines[i];
                    }
                }

                mark = _lines.Count;
                Assert.False(_process.HasExited, "the wallet exited: " + string.Join('\n', _stderr));
            }

            Assert.True(DateTime.UtcNow < deadline, "the wallet did not answer in time: " + string.Join('\n', _stderr));
            await _changed.WaitAsync(TimeSpan.FromMilliseconds(200));
        }
    }

    private static Dictionary<string, string> Fields(string line) =>
        line.Split(' ').Where(w => w.Contains('=')).Select(w => w.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
}

using System.Diagnostics;
using System.Text;

namespace StateChannels.Samples.PaymentDemo;

/// <summary>
/// One samples/Wallet process, driven like a person at its console: a command per line on its stdin;
/// it answers <c>ok &lt;command&gt; key=value ...</c> or <c>error &lt;command&gt; message</c>, and prints
/// <c>event ...</c> lines as things happen (see samples/Wallet/Replies.cs).
/// </summary>
internal sealed class WalletProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<WalletLine> _lines = [];
    private readonly Queue<string> _stderr = new();
    private readonly Lock _lock = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _exited;

    private WalletProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    /// <summary>The wallet's channel address (from its start line).</summary>
    public EthAddress Address { get; private set; }

    /// <summary>How many lines the wallet has printed: a mark to wait for events after.</summary>
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

    /// <summary>Starts <c>dotnet Wallet.dll</c> with <paramref name="args"/> and waits for its start line.</summary>
    public static async Task<WalletProcess> StartAsync(
        string name, IEnumerable<string> args, IDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var walletDll = Path.Combine(AppContext.BaseDirectory, "Wallet.dll");
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        start.ArgumentList.Add(walletDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value; // secrets go through the environment, not the command line
        }

        var wallet = new WalletProcess(name, ChildProcesses.Start(start));
        wallet.StartReading();
        var started = await wallet.WaitAsync(l => l.Kind == "ok" && l.Name == "start", 0, TimeSpan.FromSeconds(60), cancellationToken);
        wallet.Address = EthAddress.Parse(started["address"]);
        return wallet;
    }

    /// <summary>Sends a command and returns its <c>ok</c> reply.</summary>
    /// <exception cref="DemoFailure">The wallet answered <c>error</c>, exited, or did not answer in time.</exception>
    public async Task<WalletLine> SendAsync(string command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var verb = command.Split(' ')[0];
        var mark = Mark;
        await _process.StandardInput.WriteLineAsync(command.AsMemory(), cancellationToken);
        await _process.StandardInput.FlushAsync(cancellationToken);
        var reply = await WaitAsync(l => l.Kind is "ok" or "error" && l.Name == verb, mark, timeout, cancellationToken);
        return reply.Kind == "ok" ? reply : throw new DemoFailure($"{Name}: '{command}' failed: {reply.Rest}");
    }

    /// <summary>Waits for an <c>event &lt;name&gt;</c> line printed after <paramref name="mark"/>.</summary>
    public Task<WalletLine> WaitEventAsync(string name, int mark, TimeSpan timeout, CancellationToken cancellationToken) =>
        WaitAsync(l => l.Kind == "event" && l.Name == name, mark, timeout, cancellationToken);

    /// <summary>Waits for the first line after <paramref name="mark"/> that matches.</summary>
    public async Task<WalletLine> WaitAsync(Func<WalletLine, bool> match, int mark, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            Task changed;
            bool exited;
            lock (_lock)
            {
                for (var i = mark; i < _lines.Count; i++)
                {
                    if (match(_lines[i]))
                    {
                        return _lines[i];
                    }
                }

                exited = _exited;
                mark = _lines.Count;
                changed = _changed.Task;
            }

            if (exited)
            {
                _process.WaitForExit(2000); // let its last error line arrive
                throw new DemoFailure($"{Name} exited unexpectedly: {LastError()}");
            }

            try
            {
                await changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new DemoFailure($"{Name} did not answer within {timeout.TotalSeconds:0} s (last error output: {LastError()})");
            }
        }
    }

    /// <summary>Asks the wallet to exit, then kills it if it does not.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await _process.StandardInput.WriteLineAsync("exit");
                await _process.StandardInput.FlushAsync();
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(3)); // idle wallets exit at once
                await _process.WaitForExitAsync(grace.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            // broken pipe or too slow: kill below
        }

        ChildProcesses.Kill(_process);
        _process.Dispose();
    }

    private void StartReading()
    {
        _process.OutputDataReceived += (_, e) =>
        {
            lock (_lock)
            {
                if (e.Data is null)
                {
                    _exited = true;
                }
                else
                {
                    _lines.Add(WalletLine.Parse(e.Data));
                }

                _changed.TrySetResult();
                _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (_lock)
            {
                _stderr.Enqueue(e.Data);
                if (_stderr.Count > 20)
                {
                    _stderr.Dequeue();
                }
            }

            if (Verbose)
            {
                Console.Error.WriteLine($"[{Name}] {e.Data}");
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Echo the wallets' stderr (SDK logs with --verbose).</summary>
    public static bool Verbose { get; set; }

    private string LastError()
    {
        lock (_lock)
        {
            return _stderr.Count > 0 ? _stderr.Last() : "no error output";
        }
    }

    /// <summary>The running dotnet host (dotnet run starts us through an apphost, so look beside the runtime too).</summary>
    private static string DotnetHost()
    {
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT")
            ?? Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        var candidate = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(candidate) ? candidate : "dotnet";
    }
}

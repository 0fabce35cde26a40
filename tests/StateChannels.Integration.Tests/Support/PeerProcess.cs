using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace StateChannels.Integration.Tests.Support;

/// <summary>
/// One StateChannels.PeerHost process (<c>dotnet StateChannels.PeerHost.dll</c>): commands on its
/// stdin, its JSON progress lines collected from stdout, stderr kept for failure messages.
/// </summary>
public sealed class PeerProcess : IAsyncDisposable
{
    /// <summary>What <see cref="Process.ExitCode"/> reports for a process killed by SIGKILL.</summary>
    public const int KilledExitCode = 128 + 9;

    private static readonly Lazy<string> Dll = new(() =>
    {
        var path = typeof(PeerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PeerHostDll").Value!;
        Assert.True(File.Exists(path), $"PeerHost not built at {path}");
        return path;
    });

    private readonly Process _process;
    private readonly List<HostLine> _lines = [];
    private readonly StringBuilder _stderr = new();
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private readonly Lock _lock = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _eof;

    private PeerProcess(string name, Process process)
    {
        Name = name;
        _process = process;
        _stdoutPump = PumpStdoutAsync();
        _stderrPump = PumpStderrAsync();
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The lines so far (a copy).</summary>
    public IReadOnlyList<HostLine> Lines
    {
        get
        {
            lock (_lock)
            {
                return [.. _lines];
            }
        }
    }

    public int LineCount
    {
        get
        {
            lock (_lock)
            {
                return _lines.Count;
            }
        }
    }

    public string StdErr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static PeerProcess Start(string name, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Dll.Value);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Remove("STATECHANNELS_CRASH_AT");
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (k, v) in environment)
        {
            psi.Environment[k] = v;
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        return new PeerProcess(name, process);
    }

    /// <summary>Writes one command line to the process's stdin.</summary>
    public async Task SendAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Sends a command and waits for its <c>done</c> line; an <c>error</c> line fails the test.</summary>
    public async Task<HostLine> CommandAsync(string command, TimeSpan timeout)
    {
        var from = LineCount;
        await SendAsync(command);
        var line = await WaitForAsync(l => l.Ev is "done" or "error" && l.Str("cmd") == command, timeout, from);
        Assert.True(line.Ev == "done", $"{Name}: '{command}' failed: {line.Raw}\n{Diagnostics()}");
        return line;
    }

    /// <summary>Waits for a line matching <paramref name="match"/> at index <paramref name="from"/> or later.</summary>
    public async Task<HostLine> WaitForAsync(Func<HostLine, bool> match, TimeSpan timeout, int from = 0)
    {
        using var limit = new CancellationTokenSource(timeout);
        var index = from;
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                for (; index < _lines.Count; index++)
                {
                    if (match(_lines[index]))
                    {
                        return _lines[index];
                    }
                }

                if (_eof)
                {
                    Assert.Fail($"{Name} ended (exit {ExitCodeOrNull()}) before the awaited line.\n{Diagnostics()}");
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"{Name}: the awaited line did not come within {timeout}.\n{Diagnostics()}");
            }
        }
    }

    /// <summary>kill -9.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    /// <summary>True if the process ends within <paramref name="timeout"/> (no failure otherwise).</summary>
    public async Task<bool> ExitsWithinAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Waits for the process to end and its output to be read to the end; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
            await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            Assert.Fail($"{Name} did not exit within {timeout}.\n{Diagnostics()}");
        }

        return _process.ExitCode;
    }

    /// <summary>The other party's current process, whose output failure messages also show.</summary>
    public Func<PeerProcess?>? Partner { get; set; }

    /// <summary>This process's tail and its partner's, for failure messages.</summary>
    private string Diagnostics() => Partner?.Invoke() is { } partner && partner != this ? $"{Tail()}\n{partner.Tail()}" : Tail();

    /// <summary>The last lines of both streams, for failure messages.</summary>
    public string Tail(int lines = 25)
    {
        var outLines = Lines.TakeLast(lines).Select(l => l.Raw);
        var err = StdErr.Split('\n').TakeLast(lines);
        return $"--- {Name} stdout (tail) ---\n{string.Join('\n', outLines)}\n--- {Name} stderr (tail) ---\n{string.Join('\n', err)}";
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
        }

        // STATECHANNELS_IT_DUMP=<dir>: keep every process's full output for post-mortems.
        if (Environment.GetEnvironmentVariable("STATECHANNELS_IT_DUMP") is { Length: > 0 } dump)
        {
            Directory.CreateDirectory(dump);
            var stem = Path.Combine(dump, $"{DateTime.UtcNow:HHmmss.fff}-{Name.Replace('#', '-')}-{Id}");
            await File.WriteAllLinesAsync(stem + ".out", Lines.Select(l => l.Raw));
            await File.WriteAllTextAsync(stem + ".err", StdErr);
        }

        _process.Dispose();
    }

    private int? ExitCodeOrNull() => _process.HasExited ? _process.ExitCode : null;

    private async Task PumpStdoutAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } raw)
            {
                var line = HostLine.TryParse(raw);
                if (line is null)
                {
                    lock (_stderr)
                    {
                        _stderr.AppendLine("[stdout] " + raw);
                    }

                    continue;
                }

                lock (_lock)
                {
                    _lines.Add(line);
                    _changed.TrySetResult();
                    _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                _eof = true;
                _changed.TrySetResult();
            }
        }
    }

    private async Task PumpStderrAsync()
    {
        while (await _process.StandardError.ReadLineAsync() is { } raw)
        {
            lock (_stderr)
            {
                if (_stderr.Length < 4_000_000)
                {
                    _stderr.AppendLine(raw);
                }
            }
        }
    }
}

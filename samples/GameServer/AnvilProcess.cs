using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GameServer;

/// <summary>
/// A local anvil on 127.0.0.1 at a free port, killed on dispose. The binary comes from the npm
/// package the repository installs (contracts/node_modules/@foundry-rs/anvil-linux-amd64), from
/// STATECHANNELS_ANVIL, or from PATH. Kept in its own file so a shared launcher can replace it.
/// </summary>
internal sealed class AnvilProcess : IAsyncDisposable
{
    private readonly Process _process;

    private AnvilProcess(Process process, int port)
    {
        _process = process;
        RpcUrl = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri RpcUrl { get; }

    public static async Task<AnvilProcess> StartAsync(CancellationToken cancellationToken)
    {
        var binary = Find() ?? throw new GameException(
            "anvil not found: run 'npm ci' in contracts/ (building the tests does it), set STATECHANNELS_ANVIL, or use --rpc URL or --sim");
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            var psi = new ProcessStartInfo(binary)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--accounts", "1" })
            {
                psi.ArgumentList.Add(a);
            }

            var process = Process.Start(psi) ?? throw new GameException("could not start " + binary);
            var output = new StringBuilder();
            var ready = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    ready.TrySetResult(false);
                    return;
                }

                lock (output)
                {
                    output.AppendLine(e.Data);
                }

                if (e.Data.StartsWith("Listening on", StringComparison.Ordinal))
                {
                    ready.TrySetResult(true);
                }
            };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            bool listening;
            try
            {
                listening = await ready.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                listening = false;
            }

            if (listening && !process.HasExited)
            {
                return new AnvilProcess(process, port);
            }

            Kill(process);
            process.Dispose();
            if (attempt >= 3)
            {
                string text;
                lock (output)
                {
                    text = output.ToString().Trim().ReplaceLineEndings(" | ");
                }

                throw new GameException("anvil did not start: " + text);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill(_process);
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("STATECHANNELS_ANVIL") is { Length: > 0 } fromEnv)
        {
            return File.Exists(fromEnv) ? fromEnv : throw new GameException($"STATECHANNELS_ANVIL={fromEnv} does not exist");
        }

        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "contracts", "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(p => Path.Combine(p, "anvil"))
            .FirstOrDefault(File.Exists);
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5_000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A failure the game reports in one line and exits with code 3.</summary>
internal sealed class GameException(string message, Exception? inner = null) : Exception(message, inner);

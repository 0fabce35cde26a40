using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace StateChannels.Samples.PaymentDemo;

/// <summary>
/// A throwaway local chain: Foundry's anvil, from the npm package pinned in contracts/package.json
/// (installed with <c>npm ci</c> if contracts/node_modules lacks it), on 127.0.0.1 at a free port.
/// </summary>
internal sealed partial class LocalAnvil : IAsyncDisposable
{
    private readonly Process _process;

    private LocalAnvil(Process process, Uri rpc, IReadOnlyList<string> keys)
    {
        _process = process;
        Rpc = rpc;
        DevKeys = keys;
    }

    /// <summary>The JSON-RPC endpoint.</summary>
    public Uri Rpc { get; }

    /// <summary>The pre-funded dev accounts' keys (hex), as anvil printed them.</summary>
    public IReadOnlyList<string> DevKeys { get; }

    /// <summary>Installs anvil if needed, starts it and waits until it listens.</summary>
    /// <exception cref="DemoFailure">anvil cannot be installed or started.</exception>
    public static async Task<LocalAnvil> StartAsync(Action<string> say, CancellationToken cancellationToken)
    {
        var anvil = await InstallAsync(say, cancellationToken);
        string output = string.Empty;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            // A free port can be taken between our probe and anvil's bind: then try another.
            var port = FreePort();
            var start = new ProcessStartInfo(anvil)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--accounts", "3", "--chain-id", "31337" })
            {
                start.ArgumentList.Add(arg);
            }

            var process = ChildProcesses.Start(start);
            var text = new StringBuilder();
            var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            process.OutputDataReceived += (_, e) =>
            {
                lock (text)
                {
                    text.AppendLine(e.Data);
                }

                if (e.Data is null || e.Data.StartsWith("Listening on", StringComparison.Ordinal))
                {
                    listening.TrySetResult();
                }
            };
            process.ErrorDataReceived += (_, e) => { lock (text) { text.AppendLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await Task.WhenAny(listening.Task, Task.Delay(TimeSpan.FromSeconds(20), cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
            lock (text)
            {
                output = text.ToString();
            }

            if (!process.HasExited && output.Contains("Listening on", StringComparison.Ordinal))
            {
                var keys = KeyLine().Matches(output).Select(m => m.Groups[1].Value).ToList();
                return new LocalAnvil(process, new Uri($"http://127.0.0.1:{port}"), keys);
            }

            ChildProcesses.Kill(process);
        }

        throw new DemoFailure($"anvil did not start: {LastLine(output)}");
    }

    /// <summary>contracts/ of this repository: found above the program's folder or the current folder.</summary>
    public static string? FindContractsDir()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var contracts = Path.Combine(dir.FullName, "contracts");
                if (File.Exists(Path.Combine(contracts, "package.json")) && File.Exists(Path.Combine(contracts, "package-lock.json")))
                {
                    return contracts;
                }
            }
        }

        return null;
    }

    public ValueTask DisposeAsync()
    {
        ChildProcesses.Kill(_process);
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private static async Task<string> InstallAsync(Action<string> say, CancellationToken cancellationToken)
    {
        var contracts = FindContractsDir()
            ?? throw new DemoFailure("contracts/package.json not found above this program: run the demo from the repository, or pass --rpc <url>");
        var anvil = AnvilPath(contracts);
        if (File.Exists(anvil))
        {
            return anvil;
        }

        // The anvil binary ships inside a platform npm package; `npm ci` installs exactly the pinned
        // versions from package-lock.json.
        say("Installing the pinned anvil: npm ci in contracts/ (once) ...");
        var start = new ProcessStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm")
        {
            WorkingDirectory = contracts,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "ci", "--no-audit", "--no-fund", "--loglevel=error" })
        {
            start.ArgumentList.Add(arg);
        }

        Process npm;
        try
        {
            npm = ChildProcesses.Start(start);
        }
        catch (Win32Exception)
        {
            throw new DemoFailure("anvil is not installed and npm was not found: install Node.js (with npm), or pass --rpc <url>");
        }

        using (npm)
        {
            var stdout = npm.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = npm.StandardError.ReadToEndAsync(cancellationToken);
            await npm.WaitForExitAsync(cancellationToken);
            ChildProcesses.Kill(npm);
            if (npm.ExitCode != 0)
            {
                throw new DemoFailure($"npm ci in {contracts} failed (exit code {npm.ExitCode}): {LastLine(await stderr + await stdout)}");
            }
        }

        return File.Exists(anvil)
            ? anvil
            : throw new DemoFailure($"npm ci did not install anvil for this platform ({RuntimeInformation.OSDescription}, {RuntimeInformation.OSArchitecture}): pass --rpc <url>");
    }

    private static string AnvilPath(string contracts)
    {
        var os = OperatingSystem.IsWindows() ? "win32" : OperatingSystem.IsMacOS() ? "darwin" : "linux";
        var arch = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "arm64" : "amd64";
        return Path.Combine(contracts, "node_modules", "@foundry-rs", $"anvil-{os}-{arch}", "bin", OperatingSystem.IsWindows() ? "anvil.exe" : "anvil");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "(no output)";

    [GeneratedRegex(@"^\(\d+\) (0x[0-9a-fA-F]{64})\s*$", RegexOptions.Multiline)]
    private static partial Regex KeyLine();
}

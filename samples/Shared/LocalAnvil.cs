using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace StateChannels.Samples;

/// <summary>
/// A throwaway local chain: Foundry's anvil on 127.0.0.1 at a free port, killed on dispose (and,
/// as a safety net, when this process exits). The binary is STATECHANNELS_ANVIL if set, else the
/// one of the npm package pinned in contracts/package.json, installed with <c>npm ci</c> when
/// contracts/node_modules lacks it. One source file, compiled into samples/PaymentDemo,
/// samples/GameServer and bench/StateChannels.Benchmarks (tests use StateChannels.TestKit's AnvilNode).
/// </summary>
internal sealed partial class LocalAnvil : IAsyncDisposable
{
    private const int Attempts = 3;
    private static readonly TimeSpan ListenTimeout = TimeSpan.FromSeconds(30);
    private readonly Process _process;
    private readonly EventHandler _onExit;

    private LocalAnvil(Process process, int port, IReadOnlyList<string> keys)
    {
        _process = process;
        RpcUrl = new Uri($"http://127.0.0.1:{port}");
        PrivateKeys = keys;
        _onExit = (_, _) => Kill(_process);
        AppDomain.CurrentDomain.ProcessExit += _onExit;
    }

    /// <summary>The JSON-RPC endpoint.</summary>
    public Uri RpcUrl { get; }

    /// <summary>The pre-funded dev accounts' keys (hex), as anvil printed them.</summary>
    public IReadOnlyList<string> PrivateKeys { get; }

    /// <summary>Installs anvil if needed, starts it and waits until it listens.</summary>
    /// <exception cref="LocalAnvilException">anvil cannot be found, installed or started.</exception>
    public static async Task<LocalAnvil> StartAsync(LocalAnvilOptions options, CancellationToken cancellationToken = default)
    {
        var binary = await FindOrInstallAsync(options, cancellationToken).ConfigureAwait(false);
        var output = string.Empty;
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            // A free port can be taken between our probe and anvil's bind: then try another.
            var port = FreePort();
            var start = NewStartInfo(binary, "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
                "--accounts", options.Accounts.ToString(CultureInfo.InvariantCulture), "--chain-id", "31337");
            if (options.BalanceEth is { } balance)
            {
                start.ArgumentList.Add("--balance");
                start.ArgumentList.Add(balance.ToString(CultureInfo.InvariantCulture));
            }

            var process = StartProcess(start);
            try
            {
                // Only anvil's start-up output is kept (for its keys and a failure message); after that its
                // log, a line or more per request, is read and dropped: kept, it grew without end.
                var text = new StringBuilder();
                var collecting = true;
                var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                process.OutputDataReceived += (_, e) =>
                {
                    lock (text)
                    {
                        if (collecting)
                        {
                            text.AppendLine(e.Data);
                        }
                    }

                    if (e.Data is null || e.Data.StartsWith("Listening on", StringComparison.Ordinal))
                    {
                        ended.TrySetResult();
                    }
                };
                process.ErrorDataReceived += (_, e) =>
                {
                    lock (text)
                    {
                        if (collecting)
                        {
                            text.AppendLine(e.Data);
                        }
                    }
                };
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                await Task.WhenAny(ended.Task, Task.Delay(ListenTimeout, cancellationToken)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                lock (text)
                {
                    output = text.ToString();
                    collecting = false;
                    text.Clear();
                }

                if (!process.HasExited && output.Contains("Listening on", StringComparison.Ordinal))
                {
                    return new LocalAnvil(process, port, [.. KeyLine().Matches(output).Select(m => m.Groups[1].Value)]);
                }
            }
            catch
            {
                Kill(process);
                process.Dispose();
                throw;
            }

            Kill(process);
            process.Dispose();
        }

        throw new LocalAnvilException($"anvil did not start: {LastLine(output)}");
    }

    public ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= _onExit;
        Kill(_process);
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private static async Task<string> FindOrInstallAsync(LocalAnvilOptions options, CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable("STATECHANNELS_ANVIL") is { Length: > 0 } fromEnv)
        {
            return File.Exists(fromEnv) ? fromEnv : throw new LocalAnvilException($"STATECHANNELS_ANVIL={fromEnv} does not exist");
        }

        var contracts = FindContractsDir(options.RepositoryRoot) ?? throw new LocalAnvilException(options.RepositoryRoot is { } root
            ? $"{Path.Combine(root, "contracts", "package.json")} not found"
            : "contracts/package.json not found above this program: run it from the repository");
        var os = OperatingSystem.IsWindows() ? "win32" : OperatingSystem.IsMacOS() ? "darwin" : "linux";
        var arch = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "arm64" : "amd64";
        var binary = Path.Combine(contracts, "node_modules", "@foundry-rs", $"anvil-{os}-{arch}", "bin", OperatingSystem.IsWindows() ? "anvil.exe" : "anvil");
        if (File.Exists(binary))
        {
            return binary;
        }

        // The anvil binary ships inside a platform npm package; `npm ci` installs exactly the pinned
        // versions from package-lock.json.
        options.Progress?.Invoke("Installing the pinned anvil: npm ci in contracts/ (once) ...");
        var start = NewStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error");
        start.WorkingDirectory = contracts;
        Process npm;
        try
        {
            npm = StartProcess(start);
        }
        catch (LocalAnvilException e) when (e.InnerException is Win32Exception)
        {
            throw new LocalAnvilException("anvil is not installed and npm was not found: install Node.js (with npm)", e.InnerException);
        }

        using (npm)
        {
            try
            {
                var stdout = npm.StandardOutput.ReadToEndAsync(cancellationToken);
                var stderr = npm.StandardError.ReadToEndAsync(cancellationToken);
                await npm.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                if (npm.ExitCode != 0)
                {
                    throw new LocalAnvilException(
                        $"npm ci in {contracts} failed (exit code {npm.ExitCode}): {LastLine(await stderr.ConfigureAwait(false) + await stdout.ConfigureAwait(false))}");
                }
            }
            finally
            {
                Kill(npm);
            }
        }

        return File.Exists(binary)
            ? binary
            : throw new LocalAnvilException($"npm ci did not install anvil for this platform ({RuntimeInformation.OSDescription}, {RuntimeInformation.OSArchitecture})");
    }

    /// <summary>contracts/ of this repository: under <paramref name="root"/>, or found above the program's folder or the current folder.</summary>
    private static string? FindContractsDir(string? root)
    {
        string[] starts = root is null ? [AppContext.BaseDirectory, Directory.GetCurrentDirectory()] : [root];
        foreach (var start in starts)
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

    private static ProcessStartInfo NewStartInfo(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    private static Process StartProcess(ProcessStartInfo start)
    {
        try
        {
            return Process.Start(start) ?? throw new LocalAnvilException($"could not start {start.FileName}");
        }
        catch (Win32Exception e)
        {
            throw new LocalAnvilException($"could not start {start.FileName}: {e.Message}", e);
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // already gone, or not ours to kill any more
        }
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

/// <summary>What <see cref="LocalAnvil.StartAsync"/> starts.</summary>
internal sealed class LocalAnvilOptions
{
    /// <summary>Pre-funded dev accounts (anvil's --accounts). Default 10.</summary>
    public int Accounts { get; init; } = 10;

    /// <summary>ETH in each dev account (anvil's --balance); null (the default): anvil's own, 10,000 ETH.</summary>
    public int? BalanceEth { get; init; }

    /// <summary>The repository whose contracts/ holds anvil; null (the default): searched above the program's folder and the current folder.</summary>
    public string? RepositoryRoot { get; init; }

    /// <summary>Told about slow steps (the one-off npm ci); null (the default): nothing is told.</summary>
    public Action<string>? Progress { get; init; }
}

/// <summary>anvil cannot be found, installed or started; the message is one line saying why.</summary>
internal sealed class LocalAnvilException(string message, Exception? inner = null) : Exception(message, inner);

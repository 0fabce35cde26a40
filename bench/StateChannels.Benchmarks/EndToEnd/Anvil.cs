using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace StateChannels.Benchmarks.EndToEnd;

/// <summary>
/// A real anvil on 127.0.0.1 at a free port (the binary of contracts/node_modules, installed by
/// `npm ci` in contracts/), killed on dispose. The bench's own small launcher: bench projects do
/// not reference tests/ (tests/StateChannels.TestKit/AnvilNode.cs is the tests' fuller one).
/// </summary>
internal sealed partial class Anvil : IAsyncDisposable
{
    private readonly Process _process;

    private Anvil(Process process, int port, IReadOnlyList<string> keys)
    {
        _process = process;
        RpcUrl = new Uri($"http://127.0.0.1:{port}");
        PrivateKeys = keys;
    }

    public Uri RpcUrl { get; }

    /// <summary>Hex keys of the pre-funded dev accounts.</summary>
    public IReadOnlyList<string> PrivateKeys { get; }

    public static string BinaryPath(string repositoryRoot) =>
        Path.Combine(repositoryRoot, "contracts", "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");

    public static async Task<Anvil> StartAsync(string repositoryRoot)
    {
        var binary = BinaryPath(repositoryRoot);
        if (!File.Exists(binary))
        {
            throw new FileNotFoundException($"anvil not found at {binary}: run 'npm ci' in contracts/ (or build the tests once)", binary);
        }

        var port = FreePort();
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--accounts", "10", "--balance", "1000000" })
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi)!;
        var output = new StringBuilder();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetResult();
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (e.Data.StartsWith("Listening on", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(30))).ConfigureAwait(false);
        string text;
        lock (output)
        {
            text = output.ToString();
        }

        if (process.HasExited || !text.Contains("Listening on", StringComparison.Ordinal))
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw new InvalidOperationException("anvil did not start:\n" + text);
        }

        return new Anvil(process, port, KeyLine().Matches(text).Select(m => m.Groups[1].Value).ToList());
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"^\(\d+\) (0x[0-9a-fA-F]{64})\s*$", RegexOptions.Multiline)]
    private static partial Regex KeyLine();
}

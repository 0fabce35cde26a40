using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace StateChannels.TestKit;

/// <summary>
/// A real anvil process on 127.0.0.1 at a free port, killed on dispose. Exposes the funded dev
/// accounts it prints at start-up and raw JSON-RPC for the test cheat codes
/// (evm_increaseTime, evm_mine, anvil_reorg, evm_snapshot ...).
/// </summary>
public sealed partial class AnvilNode : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Process _process;
    private int _rpcId;

    private AnvilNode(Process process, int port, IReadOnlyList<string> privateKeys, ulong chainId)
    {
        _process = process;
        Port = port;
        PrivateKeys = privateKeys;
        ChainId = chainId;
    }

    /// <summary>The TCP port anvil listens on (loopback only).</summary>
    public int Port { get; }

    /// <summary>The JSON-RPC endpoint.</summary>
    public Uri RpcUrl => new($"http://127.0.0.1:{Port}");

    /// <summary>The chain id anvil was started with.</summary>
    public ulong ChainId { get; }

    /// <summary>Hex private keys (0x...) of the pre-funded dev accounts, in anvil's order.</summary>
    public IReadOnlyList<string> PrivateKeys { get; }

    /// <summary>Starts anvil and waits until it answers RPC.</summary>
    /// <param name="blockTimeSeconds">Interval mining; null mines one block per transaction.</param>
    /// <param name="chainId">The chain id.</param>
    /// <param name="accounts">How many funded accounts.</param>
    /// <param name="port">A fixed port (e.g. to restart on the same port with <paramref name="stateFile"/>); 0 picks a free one.</param>
    /// <param name="stateFile">anvil --state: load on start, dump on exit.</param>
    public static async Task<AnvilNode> StartAsync(
        int? blockTimeSeconds = null, ulong chainId = 31337, int accounts = 10, int port = 0, string? stateFile = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var p = port != 0 ? port : FreePort();
            var psi = new ProcessStartInfo(RepoPaths.Anvil)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "--host", "127.0.0.1", "--port", p.ToString(CultureInfo.InvariantCulture),
                         "--chain-id", chainId.ToString(CultureInfo.InvariantCulture), "--accounts", accounts.ToString(CultureInfo.InvariantCulture) })
            {
                psi.ArgumentList.Add(a);
            }

            if (blockTimeSeconds is { } bt)
            {
                psi.ArgumentList.Add("--block-time");
                psi.ArgumentList.Add(bt.ToString(CultureInfo.InvariantCulture));
            }

            if (stateFile is not null)
            {
                psi.ArgumentList.Add("--state");
                psi.ArgumentList.Add(stateFile);
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
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var finished = await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(30))).ConfigureAwait(false);
            string text;
            lock (output)
            {
                text = output.ToString();
            }

            if (finished == ready.Task && !process.HasExited && text.Contains("Listening on", StringComparison.Ordinal))
            {
                var keys = KeyLine().Matches(text).Select(m => m.Groups[1].Value).ToList();
                var node = new AnvilNode(process, p, keys, chainId);
                await node.RpcAsync("eth_chainId").ConfigureAwait(false);
                return node;
            }

            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.Dispose();
            if (attempt >= 3 || port != 0)
            {
                throw new InvalidOperationException("anvil did not start:\n" + text);
            }
        }
    }

    /// <summary>Sends one JSON-RPC request and returns its result (throws on an RPC error).</summary>
    public async Task<JsonNode?> RpcAsync(string method, params object?[] parameters)
    {
        var request = new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = Interlocked.Increment(ref _rpcId),
            ["method"] = method,
            ["params"] = JsonSerializer.SerializeToNode(parameters),
        };
        using var content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await Http.PostAsync(RpcUrl, content).ConfigureAwait(false);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false))!;
        if (body["error"] is { } error)
        {
            throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
        }

        return body["result"];
    }

    /// <summary>Moves the chain clock forward and mines a block.</summary>
    public async Task IncreaseTimeAsync(TimeSpan by)
    {
        await RpcAsync("evm_increaseTime", (long)by.TotalSeconds).ConfigureAwait(false);
        await MineAsync().ConfigureAwait(false);
    }

    /// <summary>Mines <paramref name="blocks"/> blocks.</summary>
    public async Task MineAsync(int blocks = 1)
    {
        for (var i = 0; i < blocks; i++)
        {
            await RpcAsync("evm_mine").ConfigureAwait(false);
        }
    }

    /// <summary>The latest block number.</summary>
    public async Task<ulong> BlockNumberAsync()
    {
        var hex = (string)(await RpcAsync("eth_blockNumber").ConfigureAwait(false))!;
        return ulong.Parse(hex.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    /// <summary>Kills anvil (as a crash would; use <see cref="DisposeAsync"/> for the normal end).</summary>
    public void Kill()
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
            // already gone
        }
    }

    /// <summary>Stops anvil with SIGTERM-like semantics so it can dump its --state file, then waits.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().ConfigureAwait(false);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Kill();
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

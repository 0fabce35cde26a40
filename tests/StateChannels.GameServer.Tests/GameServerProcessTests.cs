using System.Reflection;
using System.Text.RegularExpressions;
using StateChannels.TestKit;

namespace StateChannels.GameServer.Tests;

/// <summary>samples/GameServer as a user runs it: a child process, its output and exit code.</summary>
public sealed partial class GameServerProcessTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);

    private static string GameServerDll()
    {
        var configuration = typeof(GameServerProcessTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var dll = Path.Combine(RepoPaths.Root, "samples", "GameServer", "bin", configuration, "net10.0", "GameServer.dll");
        Assert.True(File.Exists(dll), $"{dll} not built");
        return dll;
    }

    private static Task<ProcessResult> RunAsync(params string[] args) =>
        ProcessRunner.RunAsync(
            "dotnet",
            [GameServerDll(), .. args],
            RepoPaths.Root,
            Limit,
            new Dictionary<string, string> { ["STATECHANNELS_ANVIL"] = RepoPaths.Anvil });

    [Fact]
    public async Task GameServer_FewPlayersOnAnvil_ExitsZeroWithBalancesChecked()
    {
        var result = await RunAsync("--players", "3", "--duration", "3", "--inflight", "2");

        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}:\n{result.Output}");
        Assert.Contains("chain: anvil at http://127.0.0.1:", result.StdOut, StringComparison.Ordinal);
        Assert.Matches(BalanceOk(3), result.StdOut);
        var summary = Summary().Match(result.StdOut);
        Assert.True(summary.Success, result.Output);
        Assert.True(long.Parse(summary.Groups["players"].Value, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture) > 0, result.Output);
        Assert.Equal("", result.StdErr.Trim());
    }

    [Fact]
    public async Task GameServer_PaymentBudgetOnSimulatedChain_StopsAtTheBudgetAndBalancesCheck()
    {
        var result = await RunAsync("--sim", "--players", "2", "--payments", "40", "--duration", "120", "--inflight", "1");

        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}:\n{result.Output}");
        Assert.Matches(BalanceOk(2), result.StdOut);
        Assert.Equal("40", Summary().Match(result.StdOut).Groups["players"].Value);
    }

    [Fact]
    public async Task GameServer_WebSocketOnSimulatedChain_ServesPlayersThroughKestrelAndBalancesCheck()
    {
        var result = await RunAsync("--sim", "--websocket", "--players", "2", "--payments", "40", "--duration", "120", "--inflight", "1");

        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}:\n{result.Output}");
        Assert.Matches(@"listening on ws://127\.0\.0\.1:\d+/channels \(WebSocket\)", result.StdOut);
        Assert.Matches(BalanceOk(2), result.StdOut);
        Assert.Equal("40", Summary().Match(result.StdOut).Groups["players"].Value);
        Assert.Equal("", result.StdErr.Trim());
    }

    [Fact]
    public async Task GameServer_RpcOfARunningAnvil_UsesItAndBalancesCheck()
    {
        await using var node = await AnvilNode.StartAsync();

        var result = await RunAsync("--rpc", node.RpcUrl.ToString(), "--players", "2", "--duration", "2", "--inflight", "1");

        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}:\n{result.Output}");
        Assert.Contains($"chain: anvil at {node.RpcUrl} (given with --rpc)", result.StdOut, StringComparison.Ordinal);
        Assert.Matches(BalanceOk(2), result.StdOut);
    }

    [Theory]
    [InlineData("--players", "0")]
    [InlineData("--duration", "soon")]
    [InlineData("--bogus")]
    [InlineData("--sim", "--rpc", "http://127.0.0.1:1")]
    public async Task GameServer_BadUsage_ExitsTwoWithOneErrorLine(params string[] args)
    {
        var result = await RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("gameserver: ", result.StdErr, StringComparison.Ordinal);
        Assert.Equal("", result.StdOut);
    }

    [Fact]
    public async Task GameServer_RpcWithNoNode_ExitsThreeWithOneErrorLine()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop(); // nothing listens there now

        var result = await RunAsync("--rpc", $"http://127.0.0.1:{port}", "--players", "1", "--duration", "1");

        Assert.Equal(3, result.ExitCode);
        var lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("gameserver: error", lines[0], StringComparison.Ordinal);
    }

    private static Regex BalanceOk(int players) =>
        new($"^balance check: OK \\({players} channels ", RegexOptions.Multiline);

    [GeneratedRegex(@"^summary: .*\(players paid (?<players>[\d,]+) actions", RegexOptions.Multiline)]
    private static partial Regex Summary();
}

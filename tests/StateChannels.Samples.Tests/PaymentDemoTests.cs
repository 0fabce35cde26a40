using System.Diagnostics;
using StateChannels.TestKit;

namespace StateChannels.Samples.Tests;

/// <summary>
/// `dotnet run --project samples/PaymentDemo` is the product's main demo: it must work end to end on
/// a fresh clone and fail with one clear line otherwise. Each test runs the built demo as a child process.
/// </summary>
public sealed class PaymentDemoTests(ITestOutputHelper log)
{
    private const string MatchLine = "MATCH: the on-chain payouts equal the channel state to the wei.";
    private static readonly TimeSpan DemoTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Demo_DefaultStory_PaysBothWaysClosesAndPayoutsMatchFinalState()
    {
        var result = await RunDemoAsync("--payments", "200");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains(MatchLine, result.StdOut);
        Assert.Contains("200 payments in", result.StdOut);
        Assert.Contains("payments/s", result.StdOut);
        Assert.Contains("Closed cooperatively with the final state", result.StdOut);
        Assert.Equal(string.Empty, result.StdErr.Trim());
    }

    [Fact]
    public async Task Demo_DisputeStory_WatcherRefutesOldStateAndPayoutsMatchLatestState()
    {
        var result = await RunDemoAsync("--dispute");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("registers the OLD state", result.StdOut);
        Assert.Contains("Bob's watcher saw v0 registered and refuted it with v", result.StdOut);
        Assert.Contains("Bob's watcher concluded the channel", result.StdOut);
        Assert.Contains(MatchLine, result.StdOut);
        Assert.Equal(string.Empty, result.StdErr.Trim());
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--payments", "zero")]
    [InlineData("--payments")]
    [InlineData("--deposit", "0")]
    [InlineData("--rpc", "not a url", "--key", "0x01")]
    [InlineData("--rpc", "http://127.0.0.1:9")] // no funding key
    [InlineData("--key", "0x01")] // a key without --rpc
    public async Task Demo_BadArguments_ExitCode2AndOneErrorLine(params string[] args)
    {
        var result = await RunDemoAsync(args);

        Assert.Equal(2, result.ExitCode);
        AssertOneErrorLine(result);
    }

    [Fact]
    public async Task Demo_UnreachableRpc_ExitsNonZeroWithOneErrorLine()
    {
        var result = await RunDemoAsync("--rpc", $"http://127.0.0.1:{ClosedPort()}", "--key", "0x" + new string('1', 64));

        Assert.Equal(1, result.ExitCode);
        AssertOneErrorLine(result);
        Assert.Contains("cannot reach the JSON-RPC endpoint", result.StdErr);
    }

    [Fact]
    public async Task Demo_OutsideTheRepository_ExitsNonZeroWithOneErrorLine()
    {
        // A copy of the built demo with no contracts/ above it cannot install anvil.
        var copy = Directory.CreateTempSubdirectory("demo-copy-");
        try
        {
            var bin = Path.GetDirectoryName(SamplePaths.PaymentDemoDll)!;
            foreach (var file in Directory.GetFiles(bin))
            {
                File.Copy(file, Path.Combine(copy.FullName, Path.GetFileName(file)));
            }

            var result = await ProcessRunner.RunAsync(
                SamplePaths.Dotnet, [Path.Combine(copy.FullName, "PaymentDemo.dll"), "--payments", "2"], copy.FullName, DemoTimeout);
            log.WriteLine(result.Output);

            Assert.Equal(1, result.ExitCode);
            AssertOneErrorLine(result);
            Assert.Contains("contracts/package.json not found", result.StdErr);
        }
        finally
        {
            copy.Delete(recursive: true);
        }
    }

    private async Task<ProcessResult> RunDemoAsync(params string[] args)
    {
        var clock = Stopwatch.StartNew();
        var result = await ProcessRunner.RunAsync(
            SamplePaths.Dotnet, [SamplePaths.PaymentDemoDll, .. args], RepoPaths.Root, DemoTimeout);
        log.WriteLine($"PaymentDemo {string.Join(' ', args)}: exit code {result.ExitCode} after {clock.Elapsed.TotalSeconds:0.0} s");
        log.WriteLine(result.Output);
        return result;
    }

    private static void AssertOneErrorLine(ProcessResult result)
    {
        var lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr:\n{result.StdErr}");
        Assert.StartsWith("PaymentDemo: error: ", lines[0]);
        Assert.DoesNotMatch(@"(?m)^\s+at ", result.StdErr); // no stack frames
        Assert.DoesNotContain("Exception", result.StdErr);
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port; // closed again when disposed
    }
}

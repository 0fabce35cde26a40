using System.Text.Json.Nodes;
using StateChannels.TestKit;
using Xunit.Abstractions;

namespace StateChannels.Contracts.Tests;

/// <summary>The contract's own tests, run by the real forge (with solc-js behind contracts/script/solc).</summary>
public sealed class ForgeSuiteTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ForgeTest_AllSuites_Pass()
    {
        var result = await ProcessRunner.RunAsync(
            RepoPaths.Forge, ["test", "--json"], RepoPaths.Contracts, TimeSpan.FromMinutes(15));

        var json = result.StdOut[result.StdOut.IndexOf('{', StringComparison.Ordinal)..];
        var suites = JsonNode.Parse(json)!.AsObject();
        var passed = 0;
        var failures = new List<string>();
        foreach (var (suite, body) in suites)
        {
            foreach (var (test, r) in body!["test_results"]!.AsObject())
            {
                if ((string?)r!["status"] == "Success")
                {
                    passed++;
                }
                else
                {
                    failures.Add($"{suite} {test}: {r["reason"]}");
                }
            }
        }

        output.WriteLine($"forge: {passed} passed, {failures.Count} failed in {suites.Count} suites");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures) + result.StdErr);
        Assert.True(result.ExitCode == 0, result.StdErr);
        // An empty or half-compiled suite must not pass as green: the contract has well over 50 tests.
        Assert.True(passed >= 50, $"only {passed} forge tests ran");
    }

    [Fact]
    public async Task Artifacts_RecompiledFromSource_AreIdentical()
    {
        var result = await ProcessRunner.RunAsync(
            "bash", ["script/build.sh", "--check"], RepoPaths.Contracts, TimeSpan.FromMinutes(5));
        output.WriteLine(result.Output);
        Assert.True(result.ExitCode == 0, result.Output);
    }

    [Fact]
    public async Task GasTable_RemeasuredOnAnvil_MatchesCommittedGasJson()
    {
        var result = await ProcessRunner.RunAsync(
            "bash", ["script/gas.sh", "--check"], RepoPaths.Contracts, TimeSpan.FromMinutes(5));
        output.WriteLine(result.Output);
        Assert.True(result.ExitCode == 0, result.Output);
    }
}

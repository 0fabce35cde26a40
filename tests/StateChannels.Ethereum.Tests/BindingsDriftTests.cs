using StateChannels.TestKit;
using Xunit.Abstractions;

namespace StateChannels.Ethereum.Tests;

/// <summary>
/// Every generated binding matches the committed artifacts: the shipped ones
/// (src/StateChannels.Ethereum/Bindings/*.gen.cs: Adjudicator, Erc20Errors) and the test tokens'
/// (tests/StateChannels.TestKit/Bindings/*.gen.cs); no stale .gen.cs is left in either folder.
/// </summary>
public sealed class BindingsDriftTests(ITestOutputHelper output)
{
    [Fact]
    public async Task GenBindingsCheck_CommittedArtifacts_ReproduceTheCommittedBindings()
    {
        var result = await ProcessRunner.RunAsync(
            "bash", ["script/gen-bindings.sh", "--check"], RepoPaths.Contracts, TimeSpan.FromMinutes(2));
        output.WriteLine(result.Output);
        Assert.True(result.ExitCode == 0, result.Output);

        // The check covers every generated file in the repository, wherever it lives.
        var generated = new[] { "src", "tests" }
            .SelectMany(dir => Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, dir), "*.gen.cs", SearchOption.AllDirectories))
            .Select(path => Path.GetRelativePath(RepoPaths.Root, path).Replace('\\', '/'))
            .Where(path => !path.Split('/').Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.NotEmpty(generated);
        foreach (var path in generated)
        {
            Assert.True(result.Output.Contains($"ok: {path}", StringComparison.Ordinal), $"gen-bindings.sh --check does not check {path}:\n{result.Output}");
        }
    }
}

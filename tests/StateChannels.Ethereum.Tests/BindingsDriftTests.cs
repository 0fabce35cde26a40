using StateChannels.TestKit;
using Xunit.Abstractions;

namespace StateChannels.Ethereum.Tests;

/// <summary>The generated bindings (src/StateChannels.Ethereum/Bindings/*.gen.cs) match the committed artifacts.</summary>
public sealed class BindingsDriftTests(ITestOutputHelper output)
{
    [Fact]
    public async Task GenBindingsCheck_CommittedArtifacts_ReproduceTheCommittedBindings()
    {
        var result = await ProcessRunner.RunAsync(
            "bash", ["script/gen-bindings.sh", "--check"], RepoPaths.Contracts, TimeSpan.FromMinutes(2));
        output.WriteLine(result.Output);
        Assert.True(result.ExitCode == 0, result.Output);
    }
}

using StateChannels.TestKit;

namespace StateChannels.Packaging.Tests;

/// <summary>Only src/ ships: test projects, samples and benchmarks say IsPackable=false.</summary>
public sealed class PackabilityTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    public static TheoryData<string> NonShippingProjects()
    {
        var data = new TheoryData<string>();
        foreach (var folder in new[] { "tests", "samples", "bench" })
        {
            var root = Path.Combine(RepoPaths.Root, folder);
            if (!Directory.Exists(root))
            {
                continue;
            }

            foreach (var project in Directory.GetFiles(root, "*.csproj", SearchOption.AllDirectories)
                         .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                         .Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetRelativePath(RepoPaths.Root, project));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(NonShippingProjects))]
    public async Task IsPackable_TestSampleOrBenchProject_False(string project)
    {
        var result = await ProcessRunner.RunAsync(
            "dotnet", ["msbuild", project, "-getProperty:IsPackable", "-nologo"], RepoPaths.Root, Limit);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal("false", result.StdOut.Trim());
    }
}

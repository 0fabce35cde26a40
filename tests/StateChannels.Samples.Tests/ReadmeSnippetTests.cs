using System.Text.RegularExpressions;
using StateChannels.TestKit;

namespace StateChannels.Samples.Tests;

/// <summary>
/// The README's code is the samples' code: every C# block in README.md that follows a
/// <c>&lt;!-- snippet: NAME --&gt;</c> line must equal, line for line (indentation aside), the region
/// between <c>// snippet-begin: NAME</c> and <c>// snippet-end</c> in a file under samples/, which CI
/// compiles. Change the sample, and this test says which README block to update.
/// </summary>
public sealed partial class ReadmeSnippetTests
{
    [Fact]
    public void Readme_EverySnippet_EqualsItsRegionInTheSamples()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var regions = SampleRegions();
        var blocks = ReadmeBlock().Matches(readme);

        Assert.True(blocks.Count >= 4, $"README.md has {blocks.Count} snippet blocks; expected the quick-start ones");
        foreach (Match block in blocks)
        {
            var name = block.Groups["name"].Value;
            Assert.True(regions.TryGetValue(name, out var region), $"README snippet '{name}' has no '// snippet-begin: {name}' region under samples/");
            var expected = Normalize(region);
            var actual = Normalize(block.Groups["code"].Value);
            Assert.True(
                expected == actual,
                $"README snippet '{name}' differs from its sample region; the sample now reads:\n{expected}");
        }
    }

    [Fact]
    public void Samples_EveryRegion_IsClosedAndUniquelyNamed()
    {
        // SampleRegions throws on an unclosed or repeated region; this keeps that check from hiding.
        var regions = SampleRegions();
        Assert.NotEmpty(regions);
    }

    private static Dictionary<string, string> SampleRegions()
    {
        var regions = new Dictionary<string, string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "samples"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") ||
                file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            {
                continue;
            }

            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var begin = RegionBegin().Match(lines[i]);
                if (!begin.Success)
                {
                    continue;
                }

                var name = begin.Groups["name"].Value;
                var end = Array.FindIndex(lines, i + 1, l => l.Trim() == "// snippet-end");
                if (end < 0)
                {
                    throw new InvalidOperationException($"{file}:{i + 1}: snippet '{name}' is never closed");
                }

                if (!regions.TryAdd(name, string.Join('\n', lines[(i + 1)..end])))
                {
                    throw new InvalidOperationException($"{file}:{i + 1}: snippet '{name}' is defined twice");
                }
            }
        }

        return regions;
    }

    /// <summary>Trims the common indentation and trailing blanks, so a region nested in a method matches a flush-left README block.</summary>
    private static string Normalize(string code)
    {
        var lines = code.Replace("\r", string.Empty).Split('\n').Select(l => l.TrimEnd()).ToList();
        while (lines.Count > 0 && lines[0].Length == 0)
        {
            lines.RemoveAt(0);
        }

        while (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        var indent = lines.Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l));
    }

    [GeneratedRegex(@"<!-- snippet: (?<name>[\w-]+) -->\s*```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex ReadmeBlock();

    [GeneratedRegex(@"^\s*// snippet-begin: (?<name>[\w-]+)\s*$")]
    private static partial Regex RegionBegin();
}

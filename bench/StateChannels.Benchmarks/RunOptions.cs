using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;

namespace StateChannels.Benchmarks;

/// <summary>
/// Command line: <c>--quick</c> (in-process, short iterations: a few minutes on 2 cores) or
/// <c>--full</c> (the default: BenchmarkDotNet's own job, one process per benchmark, its own
/// iteration counts). <c>--filter GLOB</c> runs a subset and writes nothing to the committed
/// results. <c>--out DIR</c> writes the results under another repository root (default: the
/// one this project sits in).
/// </summary>
internal sealed record RunOptions(bool Quick, string? Filter, string RepositoryRoot)
{
    public string Mode => Quick ? "quick" : "full";

    public bool WritesResults => Filter is null;

    public static RunOptions? Parse(string[] args, TextWriter error)
    {
        bool quick = false;
        string? filter = null;
        string? root = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--full":
                    quick = false;
                    break;
                case "--filter" when i + 1 < args.Length:
                    filter = args[++i];
                    break;
                case "--out" when i + 1 < args.Length:
                    root = Path.GetFullPath(args[++i]);
                    break;
                default:
                    error.WriteLine($"unknown argument '{args[i]}'. Usage: [--quick | --full] [--filter GLOB] [--out REPO_ROOT]");
                    return null;
            }
        }

        root ??= FindRepositoryRoot();
        if (root is null)
        {
            error.WriteLine("cannot find the repository root (a directory with StateChannels.sln); pass --out");
            return null;
        }

        return new RunOptions(quick, filter, root);
    }

    /// <summary>Whether the glob matches a benchmark of <paramref name="type"/> (as <c>Namespace.Type.Method</c>, like BenchmarkDotNet's filter).</summary>
    public static bool Matches(string glob, Type type)
    {
        var regex = new Regex("^" + Regex.Escape(glob).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        return type.GetMethods().Any(m => m.IsDefined(typeof(BenchmarkAttribute), inherit: false) && regex.IsMatch($"{type.FullName}.{m.Name}"));
    }

    private static string? FindRepositoryRoot()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "StateChannels.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }
}

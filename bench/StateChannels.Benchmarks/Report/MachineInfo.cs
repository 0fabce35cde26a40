using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace StateChannels.Benchmarks.Report;

/// <summary>The machine a run measured, read from the OS at the end of the run.</summary>
internal sealed record MachineInfo(
    string Os,
    string Cpu,
    int LogicalCores,
    double? MemoryGib,
    string Runtime,
    string BenchmarkDotNet,
    string ScratchDirectory,
    string ScratchFileSystem)
{
    public static MachineInfo Collect() => new(
        ReadKey("/etc/os-release", "PRETTY_NAME=")?.Trim('"') is { } pretty && ReadFirstLine("/proc/sys/kernel/osrelease") is { } kernel
            ? $"{pretty}, Linux {kernel}"
            : RuntimeInformation.OSDescription,
        ReadKey("/proc/cpuinfo", "model name")?.Split(':', 2)[^1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString(),
        Environment.ProcessorCount,
        ReadKey("/proc/meminfo", "MemTotal:") is { } mem && long.TryParse(mem.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], out long kib)
            ? Math.Round(kib / 1024.0 / 1024.0, 1)
            : null,
        $"{RuntimeInformation.FrameworkDescription} {RuntimeInformation.ProcessArchitecture}",
        typeof(BenchmarkDotNet.Running.BenchmarkRunner).Assembly.GetName().Version?.ToString(3) ?? "?",
        Scratch.Root,
        FileSystemOf(Scratch.Root));

    [JsonIgnore]
    public string OneLine =>
        $"{Cpu}, {LogicalCores} logical cores, {MemoryGib?.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) ?? "?"} GiB; {Os}; {Runtime}; scratch on {ScratchFileSystem}";

    private static string? ReadFirstLine(string path) => ReadKey(path, string.Empty);

    private static string? ReadKey(string path, string prefix)
    {
        try
        {
            return File.ReadLines(path).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The type and device of the mount holding <paramref name="path"/> (longest mount point prefix in /proc/mounts).</summary>
    private static string FileSystemOf(string path)
    {
        try
        {
            string full = Path.GetFullPath(path);
            string[]? best = null;
            foreach (string line in File.ReadLines("/proc/mounts"))
            {
                string[] f = line.Split(' ');
                if (f.Length >= 3 && IsUnder(full, f[1]) && (best is null || f[1].Length > best[1].Length))
                {
                    best = f;
                }
            }

            return best is null ? "unknown" : $"{best[2]} ({best[0]} at {best[1]})";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static bool IsUnder(string path, string mountPoint) =>
        mountPoint == "/" || path == mountPoint || path.StartsWith(mountPoint.TrimEnd('/') + "/", StringComparison.Ordinal);
}

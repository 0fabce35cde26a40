using System.Text.Json.Nodes;

namespace StateChannels.Benchmarks.Report;

/// <summary>
/// Hook for the end-to-end harness (two processes over loopback TCP, LiteDB on both sides), which
/// is not part of this project: when it writes <c>bench/results/e2e.json</c> with any of
/// <see cref="Keys"/> and a <c>measured_at</c> timestamp, the next run copies those figures into
/// latest.json and docs/benchmarks.md beside the floor. Without that file every key is null:
/// nothing is estimated here.
/// </summary>
internal sealed class EndToEnd
{
    public const string FileName = "e2e.json";

    public const string NotYet = "measured by the e2e harness (not yet)";

    public static IReadOnlyList<string> Keys { get; } =
        ["sequential_payments_per_s", "concurrent_payments_per_s", "hub_payments_per_s", "hub_p99_ms"];

    private EndToEnd(JsonObject? figures, string source)
    {
        Figures = figures;
        Source = source;
    }

    /// <summary>The harness's figures, or null when it has not written any.</summary>
    public JsonObject? Figures { get; }

    public string Source { get; }

    public static EndToEnd Load(string repositoryRoot)
    {
        string path = Path.Combine(repositoryRoot, "bench", "results", FileName);
        if (!File.Exists(path))
        {
            return new EndToEnd(null, NotYet);
        }

        JsonObject figures = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? [];
        string when = figures["measured_at"]?.ToString() ?? "no date";
        return new EndToEnd(figures, $"bench/results/{FileName} (measured {when})");
    }

    public double? Value(string key) => Figures?[key] is JsonValue v && v.TryGetValue(out double d) ? d : null;
}

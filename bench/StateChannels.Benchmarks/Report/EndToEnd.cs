using System.Text.Json.Nodes;

namespace StateChannels.Benchmarks.Report;

/// <summary>
/// Hand-over from the end-to-end stage (EndToEnd/Harness.cs: two processes over loopback TCP, LiteDB
/// on both sides, anvil): when it writes <c>bench/results/e2e.json</c> with any of
/// <see cref="Keys"/> and a <c>measured_at</c> timestamp, the next run copies those figures into
/// latest.json and docs/benchmarks.md beside the floor. Without that file every key is null:
/// nothing is estimated here.
/// </summary>
internal sealed class EndToEnd
{
    public const string FileName = "e2e.json";

    public const string NotYet = "measured by the e2e harness (not yet)";

    /// <summary>The harness's keys copied to latest.json; the default (managed) run's, and each with <c>_native</c> for the native run.</summary>
    public static IReadOnlyList<string> Keys { get; } = WithNative(
    [
        "sequential_payments_per_s", "sequential_p50_ms", "sequential_p99_ms",
        "concurrent_payments_per_s", "concurrent_p50_ms", "concurrent_p99_ms",
        "hub_channels", "hub_payments_per_s", "hub_p50_ms", "hub_p99_ms", "hub_closed_loop_p50_ms", "hub_closed_loop_p99_ms",
        "hub_offered_per_s", "hub_offered_achieved_per_s", "hub_offered_p50_ms", "hub_offered_p99_ms",
        "hub_failed_payments", "hub_open_channels_per_s",
        "idle_channel_managed_bytes", "idle_channel_working_set_bytes",
        "idle_channel_managed_bytes_second_half", "idle_channel_working_set_bytes_second_half",
        "idle_channel_managed_bytes_driver", "idle_channel_working_set_bytes_driver",
        "idle_connection_managed_bytes", "idle_connection_working_set_bytes",
        "sequential_cpu_us_per_payment_hub", "sequential_cpu_us_per_payment_driver",
        "concurrent_cpu_us_per_payment_hub", "concurrent_cpu_us_per_payment_driver",
        "hub_cpu_us_per_payment_hub", "hub_cpu_us_per_payment_driver",
        "hub_offered_cpu_us_per_payment_hub", "hub_offered_cpu_us_per_payment_driver",
        "hub_offered_gc_pause_ms_hub", "hub_offered_gc_pause_ms_driver",
        "hub_offered_allocated_bytes_per_payment_hub", "hub_offered_allocated_bytes_per_payment_driver",
        "hub_offered_syncs_hub", "hub_offered_sync_ms_hub", "hub_offered_syncs_driver", "hub_offered_sync_ms_driver",
        "store_reopen_open_ms", "store_reopen_client_ms", "store_reopen_client_cpu_ms",
    ]).Append("store_reopen_channels").ToList();

    /// <summary>The throughputs that get a floor ratio in latest.json (<c>KEY_vs_floor</c>).</summary>
    public static IReadOnlyList<string> Throughputs { get; } = WithNative(["sequential_payments_per_s", "concurrent_payments_per_s", "hub_payments_per_s"]);

    /// <summary>Text fields of e2e.json copied as they are.</summary>
    public static IReadOnlyList<string> TextKeys { get; } = ["measured_at", "e2e_settings", "e2e_load_before", "e2e_load_after", "hub_gc", "hub_gc_native"];

    private static List<string> WithNative(IEnumerable<string> keys) => keys.SelectMany(k => new[] { k, k + "_native" }).ToList();

    public string? Text(string key) => Figures?[key]?.ToString();

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

using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace StateChannels.Benchmarks.Report;

/// <summary>
/// bench/results/latest.json: flat keys for the headline figures (µs per operation unless the
/// name says otherwise), the formula of the floor, the machine, and every benchmark's median.
/// A figure that was not measured is null, never estimated.
/// </summary>
internal static class JsonReport
{
    public static string Render(RunReport r)
    {
        Floor? floor = r.Floor;
        double? floorPerS = floor is null ? null : Floor.PerSecond(floor.BestUpdateUs);
        var json = new JsonObject
        {
            ["schema_version"] = 1,
            ["generated_at"] = r.GeneratedAt.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            ["mode"] = r.Options.Mode,
            ["command"] = r.Command,
            ["machine"] = JsonSerializer.SerializeToNode(r.Machine, Options),
            ["native_secp256k1"] = r.NativeStatus,

            ["floor_sign_us"] = Round(r.Us(Names.SignManaged)),
            ["floor_recover_us"] = Round(r.Us(Names.RecoverManaged)),
            ["floor_native_sign_us"] = Round(r.Us(Names.SignNative)),
            ["floor_native_recover_us"] = Round(r.Us(Names.RecoverNative)),
            ["floor_fsync_us"] = Round(r.Us(Names.Fsync)),
            ["floor_append_fdatasync_us"] = Round(r.Us(Names.AppendFdatasync)),
            ["floor_loopback_rtt_us"] = Round(r.Us(Names.LoopbackRtt)),
            ["floor_update_us"] = Round(floor?.BestUpdateUs),
            ["floor_updates_per_s"] = Round(floorPerS, 0),
            ["floor_updates_per_s_basis"] = floor?.BestBasis,
            ["floor_update_us_managed"] = Round(floor?.ManagedUpdateUs),
            ["floor_updates_per_s_managed"] = Round(floor is null ? null : Floor.PerSecond(floor.ManagedUpdateUs), 0),
            ["floor_formula"] = Floor.Formula,

            ["sign_speedup_vs_nethereum"] = Round(RunReport.Ratio(r.Us(Names.SignNethereum), r.Us(Names.SignManaged)), 2),
            ["recover_speedup_vs_nethereum"] = Round(RunReport.Ratio(r.Us(Names.RecoverNethereum), r.Us(Names.RecoverManaged)), 2),
            ["native_sign_speedup_vs_managed"] = Round(RunReport.Ratio(r.Us(Names.SignManaged), r.Us(Names.SignNative)), 2),
            ["native_recover_speedup_vs_managed"] = Round(RunReport.Ratio(r.Us(Names.RecoverManaged), r.Us(Names.RecoverNative)), 2),
            ["nethereum_sign_us"] = Round(r.Us(Names.SignNethereum)),
            ["nethereum_recover_us"] = Round(r.Us(Names.RecoverNethereum)),

            ["hash_state_us"] = Round(r.Us(Names.HashState), 3),
            ["channel_id_us"] = Round(r.Us(Names.ChannelId), 3),
            ["keccak32_us"] = Round(r.Us(Names.Keccak32), 3),
            ["keccak32_nethereum_us"] = Round(r.Us(Names.Keccak32Nethereum), 3),
            ["encode_propose_us"] = Round(r.Us(Names.EncodePropose), 3),
            ["decode_propose_us"] = Round(r.Us(Names.DecodePropose), 3),
            ["encode_accept_us"] = Round(r.Us(Names.EncodeAccept), 3),
            ["decode_accept_us"] = Round(r.Us(Names.DecodeAccept), 3),

            ["store_single_write_us"] = Round(r.Us(Names.StoreSingle)),
            ["store_single_write_vs_fsync"] = Round(RunReport.Ratio(r.Us(Names.StoreSingle), r.Us(Names.Fsync)), 2),
            ["store_burst64_per_write_us"] = Round(r.Us(Names.StoreBurst)),
            ["store_burst64_total_us"] = Round(r.Us(Names.StoreBurst) * StateChannels.Benchmarks.Micro.StoreBenchmarks.BurstSize),
            ["store_burst64_per_write_vs_fsync"] = Round(RunReport.Ratio(r.Us(Names.StoreBurst), r.Us(Names.Fsync)), 2),
        };

        foreach (string key in EndToEnd.Keys)
        {
            json[key] = Round(r.EndToEnd.Value(key));
        }

        // Each throughput as a ratio of the floor (fully durable updates/s of one channel, native crypto);
        // the managed run also against the floor with managed crypto (its own crypto).
        double? floorManagedPerS = floor is null ? null : Floor.PerSecond(floor.ManagedUpdateUs);
        foreach (string key in EndToEnd.Throughputs)
        {
            json[key + "_vs_floor"] = Round(RunReport.Ratio(r.EndToEnd.Value(key), floorPerS), 3);
            if (!key.EndsWith("_native", StringComparison.Ordinal))
            {
                json[key + "_vs_floor_managed"] = Round(RunReport.Ratio(r.EndToEnd.Value(key), floorManagedPerS), 3);
            }
        }

        foreach (string key in EndToEnd.TextKeys)
        {
            json["e2e_" + key.Replace("e2e_", string.Empty, StringComparison.Ordinal)] = r.EndToEnd.Text(key);
        }

        json["e2e_note"] = r.EndToEnd.Source;

        var micro = new JsonObject();
        foreach (Measurement m in r.Results.All)
        {
            micro[m.Name] = new JsonObject
            {
                ["median_us"] = Round(m.MedianUs, 3),
                ["mean_us"] = Round(m.MeanUs, 3),
                ["stddev_us"] = Round(m.StdDevUs, 3),
                ["allocated_bytes"] = m.AllocatedBytes,
            };
        }

        json["micro"] = micro;
        return json.ToJsonString(Output) + "\n";
    }

    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    // A file for people too: '+' and quotes stay readable rather than \u002B (nothing here is embedded in HTML).
    private static readonly JsonSerializerOptions Output = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static double? Round(double? value, int digits = 1) => value is { } v ? Math.Round(v, digits) : null;
}

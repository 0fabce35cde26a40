namespace StateChannels.Benchmarks.Report;

/// <summary>
/// The best possible fully durable updates per second on one channel, from the floor measured in
/// the same run. Per update the critical path of docs/protocol.md is: the responder signs (after
/// its intent is durable), the proposer recovers that signature, signs, and makes the fully signed
/// state durable; with the two loopback hops (Propose out, Accept back):
/// <c>update_us = 2·sign + recover + 2·fsync + loopback_rtt</c>, <c>updates/s = 1e6 / update_us</c>.
/// Excluded (measured separately, about 1% of it): EIP-712 hashing and message encode/decode;
/// and the responder's handling of Confirm (verify + durable store), which a responder can overlap
/// with the next update. Coalescing makes many payments one update, so payments/s can exceed it.
/// </summary>
internal sealed record Floor(
    double SignUs,
    double RecoverUs,
    double? NativeSignUs,
    double? NativeRecoverUs,
    double FsyncUs,
    double? AppendFdatasyncUs,
    double LoopbackRttUs)
{
    public const string Formula =
        "updates_per_s = 1e6 / (2*sign_us + recover_us + 2*fsync_us + loopback_rtt_us): per update the critical path is "
        + "responder sign + proposer recover + proposer sign + 2 fsyncs (responder intent, proposer state) + 2 loopback hops "
        + "(Propose out, Accept back: one measured TCP round trip on 127.0.0.1). floor_updates_per_s uses the fastest crypto measured (native libsecp256k1 when it loads); "
        + "floor_updates_per_s_managed uses our default managed path. Hashing, codecs and the responder's Confirm handling are excluded.";

    public bool HasNative => NativeSignUs is not null && NativeRecoverUs is not null;

    public double ManagedUpdateUs => UpdateUs(SignUs, RecoverUs);

    /// <summary>With native crypto when it loaded, else managed: the best this machine allows.</summary>
    public double BestUpdateUs => HasNative ? UpdateUs(NativeSignUs!.Value, NativeRecoverUs!.Value) : ManagedUpdateUs;

    public string BestBasis => HasNative ? "native libsecp256k1 (Secp256k1.Net)" : "managed NBitcoin.Secp256k1 (native did not load)";

    public static double PerSecond(double us) => 1_000_000 / us;

    private double UpdateUs(double sign, double recover) => (2 * sign) + recover + (2 * FsyncUs) + LoopbackRttUs;
}

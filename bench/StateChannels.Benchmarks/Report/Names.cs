namespace StateChannels.Benchmarks.Report;

/// <summary>The <c>Class.Method</c> names the reports read.</summary>
internal static class Names
{
    public const string SignManaged = "SignatureBenchmarks.SignManaged";
    public const string SignNative = "SignatureBenchmarks.SignNative";
    public const string SignNethereum = "SignatureBenchmarks.SignNethereum";
    public const string RecoverManaged = "SignatureBenchmarks.RecoverManaged";
    public const string RecoverNative = "SignatureBenchmarks.RecoverNative";
    public const string RecoverNethereum = "SignatureBenchmarks.RecoverNethereum";
    public const string Fsync = "DiskFloorBenchmarks.FsyncRewrite4K";
    public const string AppendFdatasync = "DiskFloorBenchmarks.AppendFdatasync4K";
    public const string LoopbackRtt = "LoopbackBenchmarks.RoundTripTcp";
    public const string Keccak32 = "HashingBenchmarks.Keccak32";
    public const string Keccak32Nethereum = "HashingBenchmarks.Keccak32Nethereum";
    public const string HashState = "HashingBenchmarks.HashState";
    public const string ChannelId = "HashingBenchmarks.ChannelId";
    public const string EncodePropose = "CodecBenchmarks.EncodePropose";
    public const string DecodePropose = "CodecBenchmarks.DecodePropose";
    public const string EncodeAccept = "CodecBenchmarks.EncodeAccept";
    public const string DecodeAccept = "CodecBenchmarks.DecodeAccept";
    public const string EncodeRecord = "CodecBenchmarks.EncodeChannelRecord";
    public const string DecodeRecord = "CodecBenchmarks.DecodeChannelRecord";
    public const string StoreSingle = "StoreBenchmarks.SingleWrite";
    public const string StoreBurst = "StoreBenchmarks.Burst64";
}

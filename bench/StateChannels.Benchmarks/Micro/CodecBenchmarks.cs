using BenchmarkDotNet.Attributes;
using StateChannels.Protocol;

namespace StateChannels.Benchmarks.Micro;

/// <summary>
/// The wire messages on an update's critical path (<c>Propose</c>, <c>Accept</c>) through the
/// core's <see cref="MessageCodec"/>, and the channel record every durable write encodes
/// (<see cref="RecordCodec"/>).
/// </summary>
public class CodecBenchmarks
{
    private ProposeUpdate _propose = null!;
    private AcceptUpdate _accept = null!;
    private ChannelRecord _record = null!;
    private byte[] _proposeBytes = [];
    private byte[] _acceptBytes = [];
    private byte[] _recordBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        Signature signature = Fixtures.Bob.Sign(Fixtures.Digest);
        _propose = new ProposeUpdate(Fixtures.State, Fixtures.State.Version - 1);
        _accept = new AcceptUpdate(Fixtures.ChannelId, Fixtures.State.Version, signature);
        _record = StoreRecords.Record(Fixtures.ChannelId, Fixtures.Params, Fixtures.State.Version);
        _proposeBytes = MessageCodec.Encode(_propose);
        _acceptBytes = MessageCodec.Encode(_accept);
        _recordBytes = RecordCodec.EncodeChannel(_record);
    }

    [Benchmark]
    public byte[] EncodePropose() => MessageCodec.Encode(_propose);

    [Benchmark]
    public object DecodePropose() => MessageCodec.Decode(_proposeBytes);

    [Benchmark]
    public byte[] EncodeAccept() => MessageCodec.Encode(_accept);

    [Benchmark]
    public object DecodeAccept() => MessageCodec.Decode(_acceptBytes);

    [Benchmark]
    public byte[] EncodeChannelRecord() => RecordCodec.EncodeChannel(_record);

    [Benchmark]
    public ChannelRecord DecodeChannelRecord() => RecordCodec.DecodeChannel(_recordBytes);
}

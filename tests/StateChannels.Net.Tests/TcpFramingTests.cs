using System.Buffers.Binary;
using StateChannels.Net.Framing;
using StateChannels.Net.Tests.Support;

namespace StateChannels.Net.Tests;

public abstract class TcpFramingTests : TransportTest
{
    protected TcpFramingTests(TransportEncryption mode)
        : base(mode)
    {
    }

    [Fact]
    public async Task Frames_EverySizeUpToMax_RoundTripBothWays()
    {
        var options = Fast(o => o.MaxFrameSize = 16 * 1024);
        await using TcpPair pair = await TcpPair.CreateAsync(options);
        int[] sizes = [0, 1, 2, 3, 4, 5, 6, 255, 256, 1000, 4091, 4096, 4097, 8192, 16 * 1024 - 1, 16 * 1024];
        var random = new Random(7);

        foreach (int size in sizes)
        {
            byte[] payload = new byte[size];
            random.NextBytes(payload);
            await pair.ClientSide.SendAsync(payload);
            Assert.Equal(payload, (await pair.ServerSide.ReceiveAsync())!.Value.ToArray());
            await pair.ServerSide.SendAsync(payload);
            Assert.Equal(payload, (await pair.ClientSide.ReceiveAsync())!.Value.ToArray());
        }
    }

    [Fact]
    public async Task Frames_DefaultMaxSize_RoundTrips()
    {
        await using TcpPair pair = await TcpPair.CreateAsync(Fast(o => o.MaxFrameSize = new TcpTransportOptions().MaxFrameSize));
        byte[] payload = new byte[64 * 1024];
        new Random(3).NextBytes(payload);

        await pair.ClientSide.SendAsync(payload);

        Assert.Equal(payload, (await pair.ServerSide.ReceiveAsync())!.Value.ToArray());
    }

    [Fact]
    public async Task Frames_TenThousand_ArriveInOrder()
    {
        // Above the default rate limit's burst: a bulk transfer needs a raised limit.
        await using TcpPair pair = await TcpPair.CreateAsync(Fast(o => o.InboundFramesPerSecond = 1_000_000));
        const int count = 10_000;

        Task send = Task.Run(async () =>
        {
            var buffer = new byte[8];
            for (int i = 0; i < count; i++)
            {
                BinaryPrimitives.WriteInt64BigEndian(buffer, i);
                await pair.ClientSide.SendAsync(buffer);
            }
        });

        for (int i = 0; i < count; i++)
        {
            ReadOnlyMemory<byte>? frame = await pair.ServerSide.ReceiveAsync();
            Assert.Equal(i, BinaryPrimitives.ReadInt64BigEndian(frame!.Value.Span));
        }

        await send;
    }

    [Fact]
    public async Task Send_ConcurrentSenders_EveryFrameArrivesWholeAndInPerSenderOrder()
    {
        await using TcpPair pair = await TcpPair.CreateAsync(Fast());
        const int senders = 8;
        const int perSender = 500;

        Task[] sending = Enumerable.Range(0, senders).Select(sender => Task.Run(async () =>
        {
            for (int i = 0; i < perSender; i++)
            {
                // Varying sizes, the content repeats the sender and sequence so a torn frame shows.
                byte[] frame = new byte[8 + (i % 300)];
                BinaryPrimitives.WriteInt32BigEndian(frame, sender);
                BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), i);
                frame.AsSpan(8).Fill((byte)(sender + i));
                await pair.ClientSide.SendAsync(frame);
            }
        })).ToArray();

        int[] next = new int[senders];
        for (int n = 0; n < senders * perSender; n++)
        {
            ReadOnlyMemory<byte> frame = (await pair.ServerSide.ReceiveAsync())!.Value;
            int sender = BinaryPrimitives.ReadInt32BigEndian(frame.Span);
            int i = BinaryPrimitives.ReadInt32BigEndian(frame.Span[4..]);
            Assert.Equal(next[sender]++, i);
            Assert.Equal(8 + (i % 300), frame.Length);
            Assert.True(frame.Span[8..].IndexOfAnyExcept((byte)(sender + i)) < 0);
        }

        await Task.WhenAll(sending);
        Assert.All(next, count => Assert.Equal(perSender, count));
    }

    [Fact]
    public async Task Send_FrameAboveMax_ThrowsArgumentOutOfRangeAndConnectionStaysUp()
    {
        await using TcpPair pair = await TcpPair.CreateAsync(Fast(o => o.MaxFrameSize = 1024));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => pair.ClientSide.SendAsync(new byte[1025]).AsTask());

        await pair.ClientSide.SendAsync(new byte[1024]);
        Assert.Equal(1024, (await pair.ServerSide.ReceiveAsync())!.Value.Length);
    }

    [Fact]
    public async Task Receive_DeclaredLengthAboveMax_DropsPeerWithoutAllocatingIt()
    {
        await using var session = await RawSession.StartAsync(Fast());
        var (raw, accepted) = session;
        long before = GC.GetTotalAllocatedBytes(precise: true);

        byte[] bomb = new byte[FrameFormat.HeaderSize + 16];
        FrameFormat.WriteHeader(bomb, FrameKind.Data, int.MaxValue);
        await raw.SendRawAsync(bomb);

        Assert.Null(await accepted.ReceiveAsync());
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(CloseReason.FrameTooLarge, accepted.CloseReason);
        Assert.True(allocated < 256L * 1024 * 1024, $"allocated {allocated} bytes after a 2 GiB length prefix");
        Assert.True(await raw.WaitForCloseAsync());
        await Eventually.TrueAsync(() => session.Listener.ConnectionCount == 0, "the slot is released");
    }

    [Fact]
    public async Task Receive_NeverEndingFrame_DroppedAfterFrameReadTimeout()
    {
        // The idle timeout is far away: only the per-frame timeout can cut this peer.
        var options = Fast(o => o.ReceiveIdleTimeout = TimeSpan.FromSeconds(30));
        await using var session = await RawSession.StartAsync(options);
        var (raw, accepted) = session;
        Task<ReadOnlyMemory<byte>?> receive = accepted.ReceiveAsync().AsTask();

        byte[] header = new byte[FrameFormat.HeaderSize];
        FrameFormat.WriteHeader(header, FrameKind.Data, 1000);
        await raw.SendRawAsync(header);
        try
        {
            // One byte every 50 ms keeps bytes flowing, but the frame never completes in time.
            for (int i = 0; i < 400 && !receive.IsCompleted; i++)
            {
                await raw.SendRawAsync([0x42]);
                await Task.Delay(50);
            }
        }
        catch (IOException)
        {
            // Dropped while we were still trickling.
        }

        Assert.Null(await receive.WaitAsync(TestOptions.Patience));
        Assert.Equal(CloseReason.FrameTimeout, accepted.CloseReason);
    }

    [Fact]
    public async Task Receive_UnknownFrameKind_DropsPeer()
    {
        await using var session = await RawSession.StartAsync(Fast());
        var (raw, accepted) = session;

        await raw.SendFrameAsync(FrameKind.Data, "ok"u8);
        await raw.SendRawAsync([0, 0, 0, 1, 0x7f, 0]);

        Assert.Equal("ok"u8.ToArray(), (await accepted.ReceiveAsync())!.Value.ToArray());
        Assert.Null(await accepted.ReceiveAsync());
        Assert.Equal(CloseReason.ProtocolViolation, accepted.CloseReason);
    }

    [Fact]
    public async Task Receive_HandshakeFrameAfterHandshake_DropsPeer()
    {
        await using var session = await RawSession.StartAsync(Fast());
        var (raw, accepted) = session;

        await raw.SendHelloAsync(session.Client.Address);

        Assert.Null(await accepted.ReceiveAsync());
        Assert.Equal(CloseReason.ProtocolViolation, accepted.CloseReason);
    }

    [Fact]
    public async Task Receive_PingsFromPeer_AnsweredAndNeverSurfaced()
    {
        await using var session = await RawSession.StartAsync(Fast());
        var (raw, accepted) = session;

        await raw.SendFrameAsync(FrameKind.Ping, []);
        await raw.SendFrameAsync(FrameKind.Pong, []);
        await raw.SendFrameAsync(FrameKind.Data, "data"u8);

        Assert.Equal("data"u8.ToArray(), (await accepted.ReceiveAsync())!.Value.ToArray());
        FrameKind? kind;
        do
        {
            kind = (await raw.ReadFrameAsync())?.Kind;
        }
        while (kind == FrameKind.Ping);
        Assert.Equal(FrameKind.Pong, kind);
    }
}

/// <summary>Over Noise (the default).</summary>
public sealed class TcpFramingTestsNoise() : TcpFramingTests(TransportEncryption.Noise);

/// <summary>In plaintext.</summary>
public sealed class TcpFramingTestsPlain() : TcpFramingTests(TransportEncryption.None);

using StateChannels.Testing;

namespace StateChannels.Net.Tests.InMemory;

public sealed class InMemoryTransportTests
{
    private static readonly EthAddress Alice = EthAddress.Parse("0x00000000000000000000000000000000000a11ce");
    private static readonly EthAddress Bob = EthAddress.Parse("0x0000000000000000000000000000000000000b0b");

    [Fact]
    public async Task CreatePair_FramesFlowBothWaysWithFixedPeers()
    {
        var (a, b) = InMemoryTransport.CreatePair(Alice, Bob);

        await a.SendAsync(Frame(1));
        await b.SendAsync(Frame(2));

        Assert.Equal(Bob, a.Peer);
        Assert.Equal(Alice, b.Peer);
        Assert.Equal(Frame(1), await ReceiveAsync(b));
        Assert.Equal(Frame(2), await ReceiveAsync(a));
    }

    [Fact]
    public async Task Send_CopiesTheFrame()
    {
        var (a, b) = InMemoryTransport.CreatePair(Alice, Bob);
        byte[] buffer = Frame(1);

        await a.SendAsync(buffer);
        buffer[0] = 99;

        Assert.Equal(Frame(1), await ReceiveAsync(b));
    }

    [Fact]
    public async Task DropNext_LosesOnlyTheMatchingFrame()
    {
        var transport = new InMemoryTransport(Alice, Bob);
        transport.Faults.DropNext(f => f.From == Alice && f.Payload.Span[0] == 2);
        var (a, b) = transport.Connect();

        for (byte i = 1; i <= 4; i++)
        {
            await a.SendAsync(Frame(i));
        }

        Assert.Equal([1, 3, 4], await ReceiveFirstBytesAsync(b, 3));
        Assert.Equal(new AppliedFault(FaultKind.Dropped, Alice, 1), Assert.Single(transport.Faults.Applied));
    }

    [Fact]
    public async Task DuplicateNext_DeliversTheFrameTwice()
    {
        var transport = new InMemoryTransport(Alice, Bob);
        transport.Faults.DuplicateNext(f => f.Index == 0);
        var (a, b) = transport.Connect();

        await a.SendAsync(Frame(1));
        await a.SendAsync(Frame(2));

        Assert.Equal([1, 1, 2], await ReceiveFirstBytesAsync(b, 3));
    }

    [Fact]
    public async Task DelayNext_DeliversTheFrameAfterTheNextOne()
    {
        var transport = new InMemoryTransport(Alice, Bob);
        transport.Faults.DelayNext();
        var (a, b) = transport.Connect();

        await a.SendAsync(Frame(1));
        await a.SendAsync(Frame(2));
        await a.SendAsync(Frame(3));

        Assert.Equal([2, 1, 3], await ReceiveFirstBytesAsync(b, 3));
    }

    [Fact]
    public async Task DelayNext_ReleaseDelayed_DeliversHeldFrameWithoutANextOne()
    {
        var transport = new InMemoryTransport(Alice, Bob);
        transport.Faults.DelayNext();
        var (a, b) = transport.Connect();
        await a.SendAsync(Frame(1));
        // Nothing arrives while the frame is held. The early receive must have ended before the
        // release: left pending, it could take the released frame itself (it did, under load).
        using (var early = new CancellationTokenSource(50))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await b.ReceiveAsync(early.Token));
        }

        transport.ReleaseDelayed();

        Assert.Equal(Frame(1), await ReceiveAsync(b));
    }

    [Fact]
    public async Task DisconnectBeforeNext_SendFailsAndFrameIsNotDelivered()
    {
        var transport = new InMemoryTransport(Alice, Bob);
        transport.Faults.DisconnectBeforeNext(f => f.Payload.Span[0] == 2);
        var (a, b) = transport.Connect();
        await a.SendAsync(Frame(1));

        var error = await Assert.ThrowsAsync<StateChannelException>(() => a.SendAsync(Frame(2)).AsTask());

        Assert.Equal(ErrorCode.PeerUnavailable, error.Code);
        Assert.Equal(Frame(1), await ReceiveAsync(b));
        Assert.Null(await b.ReceiveAsync());
        Assert.Null(await a.ReceiveAsync());
        Assert.False(transport.IsConnected);
    }

    [Fact]
    public async Task DisconnectAfterNext_FrameIsDeliveredThenLinkIsDown()
    {
        var transport = new InMemoryTransport(Alice, Bob);
        transport.Faults.DisconnectAfterNext();
        var (a, b) = transport.Connect();

        await a.SendAsync(Frame(1));

        Assert.Equal(Frame(1), await ReceiveAsync(b));
        Assert.Null(await b.ReceiveAsync());
        await Assert.ThrowsAsync<StateChannelException>(() => b.SendAsync(Frame(2)).AsTask());
    }

    [Fact]
    public async Task Blackhole_SendsSucceedButNothingArrivesUntilStopped()
    {
        var transport = new InMemoryTransport(Alice, Bob);
        var (a, b) = transport.Connect();
        transport.Faults.StartBlackhole();

        await a.SendAsync(Frame(1));
        await b.SendAsync(Frame(2));
        using var timeout = new CancellationTokenSource(100);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b.ReceiveAsync(timeout.Token).AsTask());
        Assert.False(b.IsClosed);

        transport.Faults.StopBlackhole();
        await a.SendAsync(Frame(3));
        Assert.Equal(Frame(3), await ReceiveAsync(b));
        Assert.Equal(2, transport.Faults.Applied.Count(f => f.Kind == FaultKind.Blackholed));
    }

    [Fact]
    public async Task RandomFaults_SameSeed_SameOutcome()
    {
        (byte[] Received, AppliedFault[] Faults) first = await RunRandomAsync(seed: 1234);
        (byte[] Received, AppliedFault[] Faults) again = await RunRandomAsync(seed: 1234);
        (byte[] Received, AppliedFault[] Faults) other = await RunRandomAsync(seed: 4321);

        Assert.Equal(first.Received, again.Received);
        Assert.Equal(first.Faults, again.Faults);
        Assert.NotEmpty(first.Faults);
        Assert.NotEqual(first.Faults, other.Faults);
    }

    [Fact]
    public async Task Connect_AfterDisconnect_GivesAFreshPairAndFaultsPersist()
    {
        var transport = new InMemoryTransport(Alice, Bob);
        var (oldA, oldB) = transport.Connect();
        await oldA.SendAsync(Frame(1));
        transport.Faults.DropNext(f => f.Payload.Span[0] == 9);

        var (a, b) = transport.Connect();

        Assert.True(oldA.IsClosed);
        Assert.Equal(Frame(1), await ReceiveAsync(oldB));
        Assert.Null(await oldB.ReceiveAsync());
        await Assert.ThrowsAsync<StateChannelException>(() => oldA.SendAsync(Frame(1)).AsTask());
        await a.SendAsync(Frame(9));
        await a.SendAsync(Frame(2));
        Assert.Equal(Frame(2), await ReceiveAsync(b));
        // Frame indexes count across reconnects: the dropped frame is Alice's second.
        Assert.Equal(1, Assert.Single(transport.Faults.Applied).Index);
    }

    [Fact]
    public async Task Dispose_OneEnd_PeerReceivesNullAndCannotSend()
    {
        var (a, b) = InMemoryTransport.CreatePair(Alice, Bob);

        await a.DisposeAsync();

        Assert.Null(await b.ReceiveAsync());
        await Assert.ThrowsAsync<StateChannelException>(() => b.SendAsync(Frame(1)).AsTask());
        await Assert.ThrowsAsync<StateChannelException>(() => a.SendAsync(Frame(1)).AsTask());
    }

    [Fact]
    public async Task Dispose_OldPairAfterReconnect_DoesNotTouchTheNewPair()
    {
        var transport = new InMemoryTransport(Alice, Bob);
        var (oldA, _) = transport.Connect();
        var (a, b) = transport.Connect();

        await oldA.DisposeAsync();

        await a.SendAsync(Frame(1));
        Assert.Equal(Frame(1), await ReceiveAsync(b));
    }

    [Fact]
    public async Task Send_AboveMaxFrameSize_Throws()
    {
        var (a, _) = new InMemoryTransport(Alice, Bob, maxFrameSize: 10).Connect();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.SendAsync(new byte[11]).AsTask());
    }

    [Fact]
    public async Task ReceiveAndSend_Cancelled_Throw()
    {
        var (a, b) = InMemoryTransport.CreatePair(Alice, Bob);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b.ReceiveAsync(new CancellationToken(true)).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a.SendAsync(Frame(1), new CancellationToken(true)).AsTask());
    }

    [Fact]
    public void Constructor_SameAddressTwice_Throws()
    {
        Assert.Throws<ArgumentException>(() => new InMemoryTransport(Alice, Alice));
    }

    private static async Task<(byte[] Received, AppliedFault[] Faults)> RunRandomAsync(int seed)
    {
        var transport = new InMemoryTransport(Alice, Bob, seed);
        transport.Faults.DropProbability = 0.1;
        transport.Faults.DuplicateProbability = 0.1;
        transport.Faults.ReorderProbability = 0.1;
        var (a, b) = transport.Connect();
        for (int i = 0; i < 200; i++)
        {
            await a.SendAsync(Frame((byte)i));
        }

        transport.ReleaseDelayed();
        transport.Disconnect();
        var received = new List<byte>();
        while (await b.ReceiveAsync() is { } frame)
        {
            received.Add(frame.Span[0]);
        }

        return (received.ToArray(), transport.Faults.Applied.ToArray());
    }

    private static byte[] Frame(byte marker) => [marker, 0xaa];

    private static async Task<byte[]> ReceiveAsync(IMessageConnection connection)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return (await connection.ReceiveAsync(timeout.Token))!.Value.ToArray();
    }

    private static async Task<byte[]> ReceiveFirstBytesAsync(IMessageConnection connection, int count)
    {
        var bytes = new byte[count];
        for (int i = 0; i < count; i++)
        {
            bytes[i] = (await ReceiveAsync(connection))[0];
        }

        return bytes;
    }
}

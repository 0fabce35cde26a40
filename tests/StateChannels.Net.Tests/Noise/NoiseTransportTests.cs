using System.Net;
using StateChannels.Net.Framing;
using StateChannels.Net.Noise;
using StateChannels.Net.Tests.Support;

namespace StateChannels.Net.Tests.Noise;

/// <summary>
/// The encrypted transport against an on-path attacker (docs/threats.md, "eavesdropper / on-path injection"):
/// forged, replayed, reordered and cut ciphertext, a wrong or substituted Noise key, and a relay of the signed handshake.
/// </summary>
public sealed class NoiseTransportTests
{
    [Theory]
    [InlineData(0)] // the encrypted length prefix
    [InlineData(17)] // the length prefix's MAC
    [InlineData(18)] // the body
    [InlineData(-1)] // the body's MAC
    public async Task Receive_TamperedCiphertext_DropsPeerAndDeliversNothing(int offset)
    {
        await using var session = await RawSession.StartAsync(TestOptions.Fast());
        var (raw, accepted) = session;
        byte[] wire = raw.Seal(FrameFormat.Encode(FrameKind.Data, "pay 100 to mallory"u8));
        wire[offset < 0 ? wire.Length + offset : offset] ^= 0x01;

        await raw.SendWireAsync(wire);

        Assert.Null(await accepted.ReceiveAsync().AsTask().WaitAsync(TestOptions.Patience));
        Assert.Equal(CloseReason.DecryptionFailed, accepted.CloseReason);
        Assert.True(await raw.WaitForCloseAsync());
    }

    [Fact]
    public async Task Receive_ReplayedCiphertext_DeliveredOnceThenPeerDropped()
    {
        await using var session = await RawSession.StartAsync(TestOptions.Fast());
        var (raw, accepted) = session;
        byte[] wire = raw.Seal(FrameFormat.Encode(FrameKind.Data, "pay 1"u8));

        await raw.SendWireAsync(wire);
        await raw.SendWireAsync(wire);

        Assert.Equal("pay 1"u8.ToArray(), (await accepted.ReceiveAsync())!.Value.ToArray());
        Assert.Null(await accepted.ReceiveAsync().AsTask().WaitAsync(TestOptions.Patience));
        Assert.Equal(CloseReason.DecryptionFailed, accepted.CloseReason);
    }

    [Fact]
    public async Task Receive_ReorderedCiphertext_DropsPeerAndDeliversNothing()
    {
        await using var session = await RawSession.StartAsync(TestOptions.Fast());
        var (raw, accepted) = session;
        byte[] first = raw.Seal(FrameFormat.Encode(FrameKind.Data, "first"u8));
        byte[] second = raw.Seal(FrameFormat.Encode(FrameKind.Data, "second"u8));

        await raw.SendWireAsync([.. second, .. first]);

        Assert.Null(await accepted.ReceiveAsync().AsTask().WaitAsync(TestOptions.Patience));
        Assert.Equal(CloseReason.DecryptionFailed, accepted.CloseReason);
    }

    [Fact]
    public async Task Receive_TruncatedCiphertextThenEnd_DropsPeerAndDeliversNothing()
    {
        await using var session = await RawSession.StartAsync(TestOptions.Fast());
        var (raw, accepted) = session;
        byte[] wire = raw.Seal(FrameFormat.Encode(FrameKind.Data, "cut short"u8));

        await raw.SendWireAsync(wire[..^5]);
        await raw.DisposeAsync();

        Assert.Null(await accepted.ReceiveAsync().AsTask().WaitAsync(TestOptions.Patience));
        Assert.Equal(CloseReason.ConnectionLost, accepted.CloseReason);
    }

    [Fact]
    public async Task Receive_CiphertextTrickledNeverCompleted_DroppedAfterFrameReadTimeout()
    {
        // Only the encrypted message is ever incomplete (the frame inside never starts): the watchdog must see it.
        await using var session = await RawSession.StartAsync(TestOptions.Fast(o => o.ReceiveIdleTimeout = TimeSpan.FromSeconds(30)));
        var (raw, accepted) = session;
        byte[] wire = raw.Seal(FrameFormat.Encode(FrameKind.Data, new byte[1000]));
        Task<ReadOnlyMemory<byte>?> receive = accepted.ReceiveAsync().AsTask();
        try
        {
            for (int i = 0; i < wire.Length - 1 && !receive.IsCompleted; i++)
            {
                await raw.SendWireAsync([wire[i]]);
                await Task.Delay(i < NoiseStream.HeaderSize ? 10 : 50);
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
    public async Task Receive_OversizedMessageBeforeAuthentication_RefusedOnItsLengthPrefix()
    {
        using var server = new Identity();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: TestOptions.Fast(o => o.HandshakeTimeout = TimeSpan.FromSeconds(60)));
        await using RawPeer raw = await RawPeer.ConnectAsync(listener.PeerAddress);
        byte[] wire = raw.Seal(new byte[4096]);

        await raw.SendWireAsync(wire[..NoiseStream.HeaderSize]);

        Assert.True(await raw.WaitForCloseAsync());
        await Eventually.TrueAsync(() => listener.RejectedHandshakes == 1, "the peer is refused on the length prefix alone");
    }

    [Fact]
    public async Task Connect_WrongNoiseKey_ListenerDropsDialerSilentlyAndAcceptsNothing()
    {
        using var server = new Identity();
        using var client = new Identity();
        using var otherKey = NoiseStaticKey.Create();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: TestOptions.Fast());
        var dialer = new TcpChannelDialer(client.Signer, Identity.Domain, TestOptions.Fast());

        var error = await Assert.ThrowsAsync<HandshakeException>(
            () => dialer.ConnectAsync(new TcpPeerAddress(listener.LocalEndPoint, otherKey.PublicKey), server.Address).AsTask());

        Assert.Equal(HandshakeFailure.ConnectionLost, error.Failure);
        await Eventually.TrueAsync(() => listener.RejectedHandshakes == 1, "the listener refuses act one");
        Assert.Equal(0, listener.ConnectionCount);
        await using TcpMessageConnection honest = await dialer.ConnectAsync(listener.PeerAddress, server.Address);
        Assert.Equal(server.Address, honest.Peer);
    }

    [Fact]
    public async Task Connect_WithoutNoiseKey_RefusedAsArgumentMisuse()
    {
        using var client = new Identity();
        var dialer = new TcpChannelDialer(client.Signer, Identity.Domain, TestOptions.Fast());

        await Assert.ThrowsAsync<ArgumentException>(() => dialer.ConnectAsync(new IPEndPoint(IPAddress.Loopback, 1)).AsTask());
    }

    [Fact]
    public async Task Mitm_TerminatesNoiseWithItsOwnKey_DialerRefused()
    {
        using var bob = new Identity();
        using var alice = new Identity();
        using var bobNoise = NoiseStaticKey.Create();
        using var mallory = new RawListener(TransportEncryption.Noise);
        var dialer = new TcpChannelDialer(alice.Signer, Identity.Domain, TestOptions.Fast());

        // Alice has Bob's key, but the path leads to Mallory, who can only answer with her own.
        Task<TcpMessageConnection> connect = dialer.ConnectAsync(new TcpPeerAddress(mallory.EndPoint, bobNoise.PublicKey), bob.Address).AsTask();
        var refused = await Assert.ThrowsAsync<HandshakeException>(() => mallory.AcceptAsync());

        Assert.Equal(HandshakeFailure.EncryptionFailed, refused.Failure);
        await Assert.ThrowsAsync<HandshakeException>(() => connect.WaitAsync(TestOptions.Patience));
    }

    [Fact]
    public async Task Mitm_RelaysTheSignedHandshakeBetweenTwoSessions_ListenerRefusesTheRelayedAnswer()
    {
        using var bob = new Identity();
        using var alice = new Identity();
        await using var bobListener = new TcpChannelListener(bob.Signer, Identity.Domain, options: TestOptions.Fast());
        using var mallory = new RawListener(TransportEncryption.Noise);
        var dialer = new TcpChannelDialer(alice.Signer, Identity.Domain, TestOptions.Fast());

        // Alice was given Mallory's Noise key as Bob's. Mallory opens her own session to Bob and relays every inner frame.
        Task<TcpMessageConnection> connect = dialer.ConnectAsync(mallory.PeerAddress, bob.Address).AsTask();
        await using RawPeer toAlice = await mallory.AcceptAsync();
        await using RawPeer toBob = await RawPeer.ConnectAsync(bobListener.PeerAddress);
        Task relay = Task.WhenAll(PumpAsync(toAlice, toBob), PumpAsync(toBob, toAlice));

        var error = await Assert.ThrowsAsync<HandshakeException>(() => connect.WaitAsync(TestOptions.Patience));

        Assert.Equal(HandshakeFailure.RejectedByPeer, error.Failure);
        Assert.Contains(nameof(HandshakeFailure.InvalidSignature), error.Message, StringComparison.Ordinal);
        await Eventually.TrueAsync(() => bobListener.RejectedHandshakes == 1, "Bob refuses the relayed answer");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bobListener.AcceptAsync(new CancellationTokenSource(200).Token).AsTask());
        await toAlice.DisposeAsync();
        await toBob.DisposeAsync();
        await relay.WaitAsync(TestOptions.Patience);
    }

    [Fact]
    public async Task Eavesdropper_OnThePath_SeesNeitherAddressesNorPayloads()
    {
        byte[] secret = "alice pays bob 42 wei"u8.ToArray();
        (byte[] noise, EthAddress[] parties) = await CaptureAsync(TransportEncryption.Noise, secret);
        (byte[] plain, EthAddress[] plainParties) = await CaptureAsync(TransportEncryption.None, secret);

        Assert.True(noise.Length > 166);
        Assert.Equal(-1, noise.AsSpan().IndexOf(secret));
        Assert.All(parties, p => Assert.Equal(-1, noise.AsSpan().IndexOf(p.ToArray())));

        // The control: in plaintext both are there for anyone to read.
        Assert.True(plain.AsSpan().IndexOf(secret) >= 0);
        Assert.All(plainParties, p => Assert.True(plain.AsSpan().IndexOf(p.ToArray()) >= 0));
    }

    private static async Task<(byte[] Captured, EthAddress[] Parties)> CaptureAsync(TransportEncryption mode, byte[] secret)
    {
        using var server = new Identity();
        using var client = new Identity();
        var options = TestOptions.Fast(encryption: mode);
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: options);
        using var tap = new TapProxy(listener.LocalEndPoint);
        var dialer = new TcpChannelDialer(client.Signer, Identity.Domain, options);
        await using TcpMessageConnection connection = await dialer.ConnectAsync(new TcpPeerAddress(tap.EndPoint, listener.NoiseKey), server.Address);
        await using TcpMessageConnection accepted = await listener.AcceptAsync();
        await connection.SendAsync(secret);
        await accepted.SendAsync(secret);
        Assert.Equal(secret, (await accepted.ReceiveAsync())!.Value.ToArray());
        Assert.Equal(secret, (await connection.ReceiveAsync())!.Value.ToArray());
        return (tap.Captured(), [server.Address, client.Address]);
    }

    private static async Task PumpAsync(RawPeer from, RawPeer to)
    {
        try
        {
            while (await from.ReadFrameAsync() is { } frame)
            {
                await to.SendFrameAsync(frame.Kind, frame.Payload);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or FrameViolationException)
        {
            // One side hung up.
        }
    }
}

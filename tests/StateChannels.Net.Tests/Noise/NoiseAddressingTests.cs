using System.Net;
using StateChannels.Net.Noise;
using StateChannels.Net.Tests.Support;

namespace StateChannels.Net.Tests.Noise;

/// <summary>Noise keys and <c>key@host:port</c> addresses, the default mode, and what each side learns of the other's key.</summary>
public sealed class NoiseAddressingTests
{
    private const string Key = "028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7";

    [Fact]
    public void Options_Default_IsEncrypted() => Assert.Equal(TransportEncryption.Noise, new TcpTransportOptions().Encryption);

    [Theory]
    [InlineData(Key + "@127.0.0.1:9735", "127.0.0.1:9735")]
    [InlineData(Key + "@[::1]:9735", "[::1]:9735")]
    [InlineData(Key + "@hub.example.org:443", "hub.example.org:443")]
    public void PeerAddress_KeyAtHostPort_ParsesAndPrintsBack(string text, string endPoint)
    {
        TcpPeerAddress address = TcpPeerAddress.Parse(text);

        Assert.Equal(NoisePublicKey.Parse(Key), address.NoiseKey);
        Assert.Equal(text, address.ToString());
        Assert.EndsWith(endPoint, address.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void PeerAddress_WithoutKey_ParsesForPlaintextOnly()
    {
        TcpPeerAddress address = TcpPeerAddress.Parse("127.0.0.1:9735");

        Assert.Null(address.NoiseKey);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9735), address.EndPoint);
    }

    [Theory]
    [InlineData("")]
    [InlineData("@127.0.0.1:1")]
    [InlineData("02zz@127.0.0.1:1")]
    [InlineData(Key + "@127.0.0.1")]
    [InlineData(Key + "@127.0.0.1:0")]
    [InlineData(Key + "@127.0.0.1:70000")]
    [InlineData("048d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7@127.0.0.1:1")] // not a compressed key
    [InlineData("028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7@127.0.0.1:1")] // 32 bytes
    public void PeerAddress_Malformed_Refused(string text)
    {
        Assert.False(TcpPeerAddress.TryParse(text, out _));
        Assert.Throws<FormatException>(() => TcpPeerAddress.Parse(text));
    }

    [Fact]
    public void StaticKey_SecretRoundTrip_SamePublicKey()
    {
        using var key = NoiseStaticKey.Create();
        var secret = new byte[32];
        key.WriteSecret(secret);

        using var again = NoiseStaticKey.FromBytes(secret);

        Assert.Equal(key.PublicKey, again.PublicKey);
        Assert.Equal(key.PublicKey, NoisePublicKey.Parse("0x" + key.PublicKey));
        Assert.Throws<ArgumentException>(() => NoiseStaticKey.FromBytes(new byte[32]));
    }

    [Fact]
    public async Task Connect_Encrypted_EachSideKnowsTheOthersNoiseKey()
    {
        using var server = new Identity();
        using var client = new Identity();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: TestOptions.Fast());
        var dialer = new TcpChannelDialer(client.Signer, Identity.Domain, TestOptions.Fast());

        await using TcpMessageConnection connection = await dialer.ConnectAsync(listener.PeerAddress, server.Address);
        await using TcpMessageConnection accepted = await listener.AcceptAsync();

        Assert.Equal(listener.NoiseKey, connection.PeerNoiseKey);
        Assert.Equal(dialer.NoiseKey, accepted.PeerNoiseKey);
        Assert.Equal(client.Address, accepted.Peer);
    }

    [Fact]
    public async Task Connect_PlaintextDialerToEncryptedListener_RefusedAndListenerKeepsServing()
    {
        using var server = new Identity();
        using var client = new Identity();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: TestOptions.Fast());
        var plain = new TcpChannelDialer(client.Signer, Identity.Domain, TestOptions.Fast(encryption: TransportEncryption.None));

        await Assert.ThrowsAsync<HandshakeException>(() => plain.ConnectAsync(listener.LocalEndPoint, server.Address).AsTask());

        await Eventually.TrueAsync(() => listener.RejectedHandshakes == 1, "the plaintext hello is refused as act one");
        await using TcpMessageConnection honest = await new TcpChannelDialer(client.Signer, Identity.Domain, TestOptions.Fast()).ConnectAsync(listener.PeerAddress, server.Address);
        Assert.Equal(server.Address, honest.Peer);
    }
}

using StateChannels.Net.Noise;

namespace StateChannels.Net.WebSockets.Tests;

public sealed class WebSocketPeerAddressTests
{
    [Theory]
    [InlineData("wss://hub.example.com/channels")]
    [InlineData("ws://127.0.0.1:8080/channels")]
    [InlineData("ws://[::1]:8080/x?room=1")]
    public void Parse_KeyAtUri_RoundTrips(string uri)
    {
        using var key = NoiseStaticKey.Create();
        string text = $"{key.PublicKey}@{uri}";

        WebSocketPeerAddress address = WebSocketPeerAddress.Parse(text);

        Assert.Equal(key.PublicKey, address.NoiseKey);
        Assert.Equal(new Uri(uri), address.Uri);
        Assert.Equal(address.ToString(), WebSocketPeerAddress.Parse(address.ToString()).ToString());
    }

    [Fact]
    public void Parse_BareUri_HasNoKey()
    {
        Assert.True(WebSocketPeerAddress.TryParse("ws://localhost:1/c", out WebSocketPeerAddress? address));
        Assert.Null(address.NoiseKey);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("http://hub.example.com/channels")]
    [InlineData("hub.example.com:443")]
    [InlineData("02ab@wss://hub.example.com/channels")]
    [InlineData("wss://user@hub.example.com/channels")]
    [InlineData("/channels")]
    public void TryParse_Invalid_ReturnsFalse(string? text)
    {
        Assert.False(WebSocketPeerAddress.TryParse(text, out _));
        if (text is not null)
        {
            Assert.Throws<FormatException>(() => WebSocketPeerAddress.Parse(text));
        }
    }

    [Fact]
    public void Constructor_HttpUri_Throws()
    {
        Assert.Throws<ArgumentException>(() => new WebSocketPeerAddress(new Uri("https://hub.example.com/"), null));
    }
}

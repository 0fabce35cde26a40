namespace StateChannels.Net.Tests.Support;

/// <summary>Small timeouts so the suite stays fast; generous enough for a loaded 2-core machine.</summary>
internal static class TestOptions
{
    public static TcpTransportOptions Fast(Action<TcpTransportOptions>? configure = null, TransportEncryption encryption = TransportEncryption.Noise)
    {
        var options = new TcpTransportOptions
        {
            Encryption = encryption,
            HandshakeTimeout = TimeSpan.FromSeconds(3),
            KeepAliveInterval = TimeSpan.FromMilliseconds(150),
            ReceiveIdleTimeout = TimeSpan.FromMilliseconds(1500),
            FrameReadTimeout = TimeSpan.FromMilliseconds(700),
            SendTimeout = TimeSpan.FromSeconds(3),
            CloseTimeout = TimeSpan.FromSeconds(1),
            ConnectRetryAttempts = 0,
            ConnectRetryDelay = TimeSpan.FromMilliseconds(50),
            ConnectRetryMaxDelay = TimeSpan.FromMilliseconds(200),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>An upper bound for waiting on something that should happen within the configured timeouts.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
}

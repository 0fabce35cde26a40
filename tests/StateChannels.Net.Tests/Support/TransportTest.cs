namespace StateChannels.Net.Tests.Support;

/// <summary>
/// Base of the TCP test classes: each runs twice, once over Noise (the default) and once in plaintext, through
/// the two sealed subclasses at the end of its file. <see cref="Fast"/> gives the mode's options.
/// </summary>
public abstract class TransportTest
{
    protected TransportTest(TransportEncryption mode) => Mode = mode;

    protected TransportEncryption Mode { get; }

    protected TcpTransportOptions Fast(Action<TcpTransportOptions>? configure = null) => TestOptions.Fast(configure, Mode);
}

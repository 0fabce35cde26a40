using StateChannels.Net;

namespace StateChannels.Integration.Tests.Lifecycle.Support;

/// <summary>
/// An authenticated TCP connection on loopback between two parties (StateChannels.Net): the first
/// listens, the second dials; both serve it with their clients. The dialler's end is wrapped in a
/// <see cref="SilenceableConnection"/> so a test can make that party go silent mid-update.
/// </summary>
public sealed class TcpLink : IAsyncDisposable
{
    private readonly TcpChannelListener _listener;

    private TcpLink(TcpChannelListener listener, SilenceableConnection dialled)
    {
        _listener = listener;
        Dialled = dialled;
    }

    /// <summary>The dialling party's end of the connection.</summary>
    public SilenceableConnection Dialled { get; }

    public static async Task<TcpLink> ConnectAsync(LifecycleParty listening, LifecycleParty dialling)
    {
        var domain = listening.Chain.Domain;
        var options = new TcpTransportOptions
        {
            InboundFramesPerSecond = 100_000,
            InboundFrameBurst = 200_000,
            SendQueueCapacity = 1024,
            ReceiveQueueCapacity = 1024,
        };
        var listener = new TcpChannelListener(new PrivateKeySigner(listening.Key), domain, null, options);
        var accept = listener.AcceptAsync();
        var dialer = new TcpChannelDialer(new PrivateKeySigner(dialling.Key), domain, options);
        var dialled = await dialer.ConnectAsync(listener.PeerAddress, listening.Address);
        var accepted = await accept.AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(dialling.Address, accepted.Peer);
        var silenceable = new SilenceableConnection(dialled);
        listening.Serve(accepted);
        dialling.Serve(silenceable);
        return new TcpLink(listener, silenceable);
    }

    public async ValueTask DisposeAsync()
    {
        await Dialled.DisposeAsync();
        await _listener.DisposeAsync();
    }
}

using System.Net;
using Microsoft.Extensions.Logging;
using StateChannels.Net;
using StateChannels.Net.Noise;

namespace StateChannels.Samples.Wallet;

/// <content>
/// The peer connection over TCP (StateChannels.Net). One side listens, the other dials; either way
/// the handshake authenticates the peer's channel address, and the connection is handed to
/// <see cref="StateChannelClient.RunConnectionAsync"/>, which first re-establishes every channel with
/// that peer (so a restarted wallet catches up) and then serves payments until the connection drops.
/// The dialling side redials after every drop; the listening side accepts the peer again.
/// </content>
internal sealed partial class WalletHost
{
    private readonly Lock _peerLock = new();
    private TcpChannelListener? _listener;
    private EthAddress? _peer;
    private int _connections;
    private NoiseStaticKey? _noiseKey;

    /// <summary>The peer we talk to: the one connected last, else <c>--peer</c>, else unknown.</summary>
    public EthAddress? Peer
    {
        get
        {
            lock (_peerLock)
            {
                return _peer ?? Settings.Peer;
            }
        }
    }

    /// <summary>Whether a connection to the peer is up.</summary>
    public bool Connected => Volatile.Read(ref _connections) > 0;

    /// <summary>The channel signing key's address: our identity in channels and handshakes.</summary>
    public EthAddress Address => _key.Address;

    /// <summary>The transaction key's account, which pays deposits and gas.</summary>
    public EthAddress Account => _txKey.Address;

    /// <summary>Listens for the peer on <paramref name="endPoint"/> (port 0: any free port) and serves it in the background.</summary>
    /// <returns>What the peer dials: our Noise key and the bound end point, <c>key@ip:port</c>.</returns>
    public TcpPeerAddress Listen(IPEndPoint endPoint)
    {
        if (_listener is not null)
        {
            throw new InvalidOperationException($"already listening on {_listener.LocalEndPoint}");
        }

        _listener = new TcpChannelListener(
            new PrivateKeySigner(_key), Adjudicator.Domain, endPoint, TransportOptions(), _logs.CreateLogger("StateChannels.Net"));
        _background.Add(AcceptLoopAsync(_listener));
        return _listener.PeerAddress;
    }

    /// <summary>Dials the peer at <paramref name="endPoint"/> in the background, and again after every drop.</summary>
    /// <param name="endPoint">The peer's listener and its Noise key (<c>key@ip:port</c>, as its <c>listen</c> printed it).</param>
    /// <param name="expectedPeer">The channel address the peer must prove; null accepts any authenticated peer.</param>
    public void Connect(TcpPeerAddress endPoint, EthAddress? expectedPeer)
    {
        var dialer = new TcpChannelDialer(new PrivateKeySigner(_key), Adjudicator.Domain, TransportOptions(), _logs.CreateLogger("StateChannels.Net"));
        _background.Add(DialLoopAsync(dialer, endPoint, expectedPeer));
    }

    private TcpTransportOptions TransportOptions() => new()
    {
        // Encrypted (Noise, the default) with a key kept in a file beside the channel key, so that a
        // restarted listener is still the one its peer's "connect key@ip:port" names.
        NoiseKey = _noiseKey ??= LoadOrCreateNoiseKey(Settings.NoiseKeyFile),

        // Redial quickly: on loopback a peer that is back is reachable at once.
        ConnectRetryAttempts = 50,
        ConnectRetryDelay = TimeSpan.FromMilliseconds(100),
        ConnectRetryMaxDelay = TimeSpan.FromSeconds(1),
        ConnectTimeout = TimeSpan.FromMinutes(1),

        // Our own peer pays us at full speed: allow more frames than the defaults meant for strangers.
        InboundFramesPerSecond = 50_000,
        InboundFrameBurst = 100_000,
        SendQueueCapacity = 1024,
        ReceiveQueueCapacity = 1024,
    };

    private async Task AcceptLoopAsync(TcpChannelListener listener)
    {
        try
        {
            await foreach (var connection in listener.AcceptAllAsync(_stop.Token).ConfigureAwait(false))
            {
                if (Settings.Peer is { } expected && connection.Peer != expected)
                {
                    await connection.DisposeAsync().ConfigureAwait(false); // authenticated, but not our peer
                    continue;
                }

                _background.Add(ServeAsync(connection));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // stopping
        }
    }

    private static NoiseStaticKey LoadOrCreateNoiseKey(string path)
    {
        if (!File.Exists(path))
        {
            KeyFiles.Create(path); // any valid secp256k1 secret is a valid Noise static key
        }

        byte[] secret = Convert.FromHexString(KeyFiles.ReadHex(path).AsSpan(2));
        try
        {
            return NoiseStaticKey.FromBytes(secret);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
        }
    }

    private async Task DialLoopAsync(TcpChannelDialer dialer, TcpPeerAddress endPoint, EthAddress? expectedPeer)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var connection = await dialer.ConnectAsync(endPoint, expectedPeer, _stop.Token).ConfigureAwait(false);
                await ServeAsync(connection).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is StateChannelException or HandshakeException)
            {
                Replies.Event("connect-failed", ("endpoint", endPoint), ("message", e.Message));
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ServeAsync(TcpMessageConnection connection)
    {
        lock (_peerLock)
        {
            _peer = connection.Peer;
        }

        Interlocked.Increment(ref _connections);
        Replies.Event("connected", ("peer", connection.Peer), ("endpoint", connection.RemoteEndPoint));
        try
        {
            // snippet-begin: serve-connection
            // Reestablish, then payments, until the connection ends. Never throws for the peer's misbehaviour.
            await Client.RunConnectionAsync(connection, _stop.Token).ConfigureAwait(false);
            // snippet-end
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
            await connection.DisposeAsync().ConfigureAwait(false);
            if (!_stop.IsCancellationRequested)
            {
                Replies.Event("disconnected", ("peer", connection.Peer));
            }
        }
    }
}

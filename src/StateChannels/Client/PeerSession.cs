using Microsoft.Extensions.Logging;
using StateChannels.Protocol;

namespace StateChannels;

/// <summary>One live connection to a peer: encodes outgoing messages, and can be aborted.</summary>
internal sealed class PeerSession(IMessageConnection connection, ILogger logger) : IPeerLink
{
    private readonly CancellationTokenSource _aborted = new();

    public EthAddress Peer => connection.Peer;

    public IMessageConnection Connection => connection;

    public CancellationToken Aborted => _aborted.Token;

    public async ValueTask<bool> SendAsync(ProtocolMessage message, CancellationToken cancellationToken = default)
    {
        if (_aborted.IsCancellationRequested)
        {
            return false;
        }

        try
        {
            await connection.SendAsync(MessageCodec.Encode(message), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (StateChannelException e) when (e.Code == ErrorCode.PeerUnavailable)
        {
            Abort("send failed: " + e.Message);
            return false;
        }
        catch (ObjectDisposedException)
        {
            Abort("connection disposed");
            return false;
        }
    }

    public void Abort(string reason)
    {
        if (_aborted.IsCancellationRequested)
        {
            return;
        }

        Log.DroppingConnection(logger, Peer, reason);
        try
        {
            _aborted.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        _ = connection.DisposeAsync().AsTask();
    }
}

using StateChannels.Net.Framing;

namespace StateChannels.Net;

/// <content>The watchdog: keepalive pings and the idle, frame and send timeouts (THREATS D5, D6).</content>
public sealed partial class TcpMessageConnection
{
    private long _lastReceived;
    private long _lastSent;
    private long _writeStartedAt;
    private int _readerBlocked;

    private void OnWatchdog()
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            return;
        }

        long now = _time.GetTimestamp();
        if (Volatile.Read(ref _readerBlocked) == 0 && _time.GetElapsedTime(Volatile.Read(ref _lastReceived), now) > _options.ReceiveIdleTimeout)
        {
            Abort(CloseReason.IdleTimeout);
            return;
        }

        // A frame in progress, or an encrypted message in progress under it (a peer trickling ciphertext).
        long partialSince = _frames.PartialSince;
        long messageSince = _noise?.PartialSince ?? 0;
        if (partialSince == 0 || (messageSince != 0 && messageSince < partialSince))
        {
            partialSince = messageSince;
        }

        if (partialSince != 0 && _time.GetElapsedTime(partialSince, now) > _options.FrameReadTimeout)
        {
            Abort(CloseReason.FrameTimeout);
            return;
        }

        long writeStartedAt = Volatile.Read(ref _writeStartedAt);
        if (writeStartedAt != 0 && _time.GetElapsedTime(writeStartedAt, now) > _options.SendTimeout)
        {
            Abort(CloseReason.SendTimeout);
            return;
        }

        if (Volatile.Read(ref _closing) == 0 && _time.GetElapsedTime(Volatile.Read(ref _lastSent), now) >= _options.KeepAliveInterval)
        {
            // Counts as sent now, so that a ping that cannot be written is not queued again every tick.
            Volatile.Write(ref _lastSent, now);
            QueueControl(FrameKind.Ping);
        }
    }
}

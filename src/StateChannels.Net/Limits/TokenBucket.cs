namespace StateChannels.Net.Limits;

/// <summary>
/// Inbound frame-rate limit of one connection: a bucket of <c>burst</c> tokens refilled at
/// <c>ratePerSecond</c>; each frame takes one. Used only by the connection's read loop, so not
/// thread-safe.
/// </summary>
internal sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly double _ratePerSecond;
    private readonly double _burst;
    private double _tokens;
    private long _last;

    public TokenBucket(TimeProvider time, double ratePerSecond, int burst)
    {
        _time = time;
        _ratePerSecond = ratePerSecond;
        _burst = burst;
        _tokens = burst;
        _last = time.GetTimestamp();
    }

    /// <summary>Takes one token; <see langword="false"/> when the bucket is empty (the peer is over its rate).</summary>
    public bool TryTake()
    {
        long now = _time.GetTimestamp();
        double elapsed = _time.GetElapsedTime(_last, now).TotalSeconds;
        _last = now;
        _tokens = Math.Min(_burst, _tokens + (elapsed * _ratePerSecond));
        if (_tokens < 1)
        {
            return false;
        }

        _tokens -= 1;
        return true;
    }
}

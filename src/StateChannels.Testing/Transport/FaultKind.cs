namespace StateChannels.Testing;

/// <summary>A fault an <see cref="InMemoryTransport"/> applied to a frame.</summary>
public enum FaultKind
{
    /// <summary>The frame was lost (THREATS D1).</summary>
    Dropped = 1,

    /// <summary>The frame was delivered twice (D2).</summary>
    Duplicated = 2,

    /// <summary>The frame was held back and delivered after the next frame in the same direction (D3).</summary>
    Delayed = 3,

    /// <summary>The link went down instead of delivering the frame; the send failed (D4, "-").</summary>
    DisconnectedBefore = 4,

    /// <summary>The frame was delivered, then the link went down; the send succeeded (D4, "+").</summary>
    DisconnectedAfter = 5,

    /// <summary>The frame vanished into a blackhole: the send succeeded, the link stayed "up" (D5).</summary>
    Blackholed = 6,
}

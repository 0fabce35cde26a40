namespace StateChannels.Net.Framing;

/// <summary>The peer broke the framing rules; the connection must be dropped. Never leaves the assembly.</summary>
internal sealed class FrameViolationException : Exception
{
    public FrameViolationException(CloseReason reason, string message)
        : base(message) => Reason = reason;

    public CloseReason Reason { get; }
}

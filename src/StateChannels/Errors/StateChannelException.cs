namespace StateChannels;

/// <summary>
/// The one exception family of the SDK. <see cref="Code"/> says what went wrong; messages never
/// contain keys or whole signatures.
/// </summary>
public class StateChannelException : Exception
{
    /// <summary>Creates an exception with a code and a message.</summary>
    public StateChannelException(ErrorCode code, string message)
        : base(message) => Code = code;

    /// <summary>Creates an exception with a code, a message and the exception that caused it.</summary>
    public StateChannelException(ErrorCode code, string message, Exception? innerException)
        : base(message, innerException) => Code = code;

    /// <summary>What went wrong.</summary>
    public ErrorCode Code { get; }
}

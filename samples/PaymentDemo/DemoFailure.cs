namespace StateChannels.Samples.PaymentDemo;

/// <summary>
/// A failure the demo explains in one line (no stack trace): what went wrong and, where it helps,
/// what to do about it. <see cref="ExitCode"/> is 2 for bad arguments, 1 for everything else.
/// </summary>
internal sealed class DemoFailure(string message, int exitCode = 1, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;

    public static DemoFailure BadArguments(string message) => new(message + " (see --help)", 2);
}

using Microsoft.Extensions.Logging;

namespace StateChannels.Samples.Wallet;

/// <summary>
/// A minimal <see cref="ILoggerFactory"/> writing the SDK's log lines to stderr (--verbose). An app
/// would plug in Microsoft.Extensions.Logging's console, Serilog, OpenTelemetry ... instead.
/// </summary>
internal sealed class StderrLogs(LogLevel minimum) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, minimum);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    private sealed class Logger(string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}");
            }
        }
    }
}

using Microsoft.Extensions.Logging;

namespace StateChannels.Watchtower.Host;

/// <summary>Engine and transport log lines on stderr (the test shows them when it fails).</summary>
internal sealed class StderrLoggerProvider(LogLevel minimum) : ILoggerProvider, ILoggerFactory
{
    private static readonly Lock Sync = new();

    public ILogger CreateLogger(string categoryName) => new StderrLogger(categoryName, minimum);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class StderrLogger(string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}";
            if (exception is not null)
            {
                line += Environment.NewLine + exception;
            }

            lock (Sync)
            {
                Console.Error.WriteLine(line);
            }
        }
    }
}

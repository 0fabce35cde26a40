using GameServer;
using StateChannels;

// Exit codes: 0 balances check out, 1 balance check failed, 2 bad usage, 3 runtime error.
GameSettings settings;
try
{
    settings = GameSettings.Parse(args);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"gameserver: {e.Message}");
    Console.Error.WriteLine(GameSettings.Usage);
    return 2;
}

if (settings.Help)
{
    Console.WriteLine(GameSettings.Usage);
    return 0;
}

using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupted.Cancel();
};

try
{
    return await new Game(settings, Console.Out).RunAsync(interrupted.Token);
}
catch (OperationCanceledException) when (interrupted.IsCancellationRequested)
{
    Console.Error.WriteLine("gameserver: interrupted");
    return 3;
}
catch (GameException e)
{
    Console.Error.WriteLine($"gameserver: error: {e.Message}");
    return 3;
}
catch (StateChannelException e)
{
    Console.Error.WriteLine($"gameserver: error ({e.Code}): {e.Message}");
    return 3;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException or InvalidOperationException)
{
    // The environment failed (disk, ports, a process): one line, not a stack trace.
    Console.Error.WriteLine($"gameserver: error: {e.GetType().Name}: {e.Message}");
    return 3;
}

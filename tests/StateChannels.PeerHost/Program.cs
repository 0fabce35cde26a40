using Microsoft.Extensions.Logging;
using StateChannels.PeerHost;

// One channel party as a process. See HostSettings for the arguments and Commands for the script language.
StateChannels.TestHosts.CrashAtEnvironment.Arm();
var output = new Output();
HostSettings settings;
try
{
    settings = HostSettings.Parse(args);
    _ = settings.Role;
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

using var logs = LoggerFactory.Create(builder => builder
    .SetMinimumLevel(Enum.Parse<LogLevel>(settings.LogLevel, ignoreCase: true))
    .AddSimpleConsole(o => { o.SingleLine = true; o.UseUtcTimestamp = true; o.TimestampFormat = "HH:mm:ss.fff "; })
    .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)); // all on stderr: stdout carries the machine-read lines
await using var node = await PeerNode.StartAsync(settings, output, logs);
var commands = new Commands(node, output, settings.Run);
foreach (var line in settings.Script.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
{
    if (!await commands.ExecuteAsync(line))
    {
        return 0;
    }
}

// Then commands from stdin, one per line, until "exit" or end of input.
while (await Console.In.ReadLineAsync() is { } command)
{
    if (command.Trim().Length > 0 && !await commands.ExecuteAsync(command.Trim()))
    {
        break;
    }
}

await commands.StopAsync();
output.Emit("exit");
return 0;

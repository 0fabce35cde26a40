using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text;

namespace StateChannels.Watchtower.Tests;

/// <summary>One watchtower host process (<c>dotnet StateChannels.Watchtower.Host.dll</c>); killed on dispose.</summary>
internal sealed class TowerProcess : IAsyncDisposable
{
    private static readonly Lazy<string> Dll = new(() =>
    {
        var path = typeof(TowerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TowerHostDll").Value!;
        Assert.True(File.Exists(path), $"the watchtower host is not built at {path}");
        return path;
    });

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private TowerProcess(Process process, StateChannels.Net.TcpPeerAddress endPoint, EthAddress address)
    {
        _process = process;
        EndPoint = endPoint;
        Address = address;
    }

    /// <summary>The tower's Noise key and end point, as it printed them.</summary>
    public StateChannels.Net.TcpPeerAddress EndPoint { get; }

    public EthAddress Address { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<TowerProcess> StartAsync(Uri rpc, EthAddress adjudicator, string database, string identityKey, string gasKey)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { Dll.Value, "--rpc", rpc.ToString(), "--adjudicator", adjudicator.ToString(), "--db", database, "--poll-ms", "50", "--log", "Debug" })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["STATECHANNELS_TOWER_KEY"] = identityKey;
        psi.Environment["STATECHANNELS_TOWER_GAS_KEY"] = gasKey;
        var process = Process.Start(psi)!;
        var output = new StringBuilder();
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException("the watchtower exited:\n" + Text(output)));
                return;
            }

            Append(output, e.Data);
            if (e.Data.StartsWith("listening ", StringComparison.Ordinal))
            {
                listening.TrySetResult(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Append(output, e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var line = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var parts = line.Split(' ');
        var tower = new TowerProcess(process, StateChannels.Net.TcpPeerAddress.Parse(parts[1]), EthAddress.Parse(parts[2]));
        lock (output)
        {
            tower._output.Append(output);
        }

        process.OutputDataReceived += (_, e) => Append(tower._output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(tower._output, e.Data);
        return tower;
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}

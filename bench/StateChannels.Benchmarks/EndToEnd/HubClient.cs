using System.Diagnostics;
using System.Globalization;

namespace StateChannels.Benchmarks.EndToEnd;

/// <summary>The driver's handle on the hub child process (see <see cref="HubProcess"/>).</summary>
internal sealed class HubClient : IAsyncDisposable
{
    private readonly Process _process;

    private HubClient(Process process, int port, EthAddress address, string gc)
    {
        _process = process;
        Port = port;
        Address = address;
        Gc = gc;
    }

    public int Port { get; }

    public EthAddress Address { get; }

    public int ProcessId => _process.Id;

    /// <summary>The GC the hub process reports it runs: <c>server</c> or <c>workstation</c>.</summary>
    public string Gc { get; }

    public static async Task<HubClient> StartAsync(
        Uri rpc, EthAddress adjudicator, string channelKey, string txKey, string db, string secp, bool serverGc)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var psi = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = false, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            psi.ArgumentList.Add(typeof(HubClient).Assembly.Location);
        }

        foreach (var a in new[] { HubProcess.Flag, "--rpc", rpc.ToString(), "--adjudicator", adjudicator.ToString(), "--db", db, "--secp", secp })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment[HubProcess.ChannelKeyVariable] = channelKey;
        psi.Environment[HubProcess.TxKeyVariable] = txKey;
        psi.Environment[Party.NoiseKeyVariable] = Party.NoiseSecretHex();
        psi.Environment["DOTNET_gcServer"] = serverGc ? "1" : "0";
        var process = Process.Start(psi)!;
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false)
            ?? throw new InvalidOperationException("the hub process exited before it was ready");
        var words = line.Split(' ');
        if (words[0] != "ready" || words.Length < 4)
        {
            throw new InvalidOperationException("hub: " + line);
        }

        return new HubClient(process, int.Parse(words[1], CultureInfo.InvariantCulture), EthAddress.Parse(words[2]), words[3]);
    }

    /// <summary>The hub's managed heap and working set (bytes, after a full GC), its channel count and how many are active.</summary>
    public async Task<(long Managed, long WorkingSet, int Channels, int Active)> MemoryAsync()
    {
        await _process.StandardInput.WriteLineAsync("mem").ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
        var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false)
            ?? throw new InvalidOperationException("the hub process exited");
        var w = line.Split(' ');
        return (long.Parse(w[1], CultureInfo.InvariantCulture), long.Parse(w[2], CultureInfo.InvariantCulture),
            int.Parse(w[3], CultureInfo.InvariantCulture), int.Parse(w[4], CultureInfo.InvariantCulture));
    }

    /// <summary>Connections the hub is serving.</summary>
    public async Task<int> ConnectionsAsync()
    {
        await _process.StandardInput.WriteLineAsync("conns").ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
        var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false)
            ?? throw new InvalidOperationException("the hub process exited");
        return int.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
    }

    /// <summary>The hub's memory breakdown (<see cref="Memory.Detail"/>), as KEY=VALUE words.</summary>
    public async Task<string> MemoryDetailAsync()
    {
        await _process.StandardInput.WriteLineAsync("memdetail").ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
        var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false)
            ?? throw new InvalidOperationException("the hub process exited");
        return line["memdetail ".Length..];
    }

    /// <summary>The hub process's running totals so far (<see cref="ProcessCounters"/>).</summary>
    public async Task<ProcessCounters> CountersAsync()
    {
        await _process.StandardInput.WriteLineAsync("cpu").ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
        var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false)
            ?? throw new InvalidOperationException("the hub process exited");
        var w = line.Split(' ');
        return new ProcessCounters(
            double.Parse(w[1], CultureInfo.InvariantCulture),
            double.Parse(w[2], CultureInfo.InvariantCulture),
            long.Parse(w[3], CultureInfo.InvariantCulture),
            double.Parse(w[4], CultureInfo.InvariantCulture),
            long.Parse(w[5], CultureInfo.InvariantCulture),
            int.Parse(w[6], CultureInfo.InvariantCulture),
            int.Parse(w[7], CultureInfo.InvariantCulture),
            int.Parse(w[8], CultureInfo.InvariantCulture));
    }

    /// <summary>The hub's channel count and how many are active (no GC).</summary>
    public async Task<(int Channels, int Active)> CountAsync()
    {
        await _process.StandardInput.WriteLineAsync("count").ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
        var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false)
            ?? throw new InvalidOperationException("the hub process exited");
        var w = line.Split(' ');
        return (int.Parse(w[1], CultureInfo.InvariantCulture), int.Parse(w[2], CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.StandardInput.WriteLineAsync("exit").ConfigureAwait(false);
            await _process.StandardInput.FlushAsync().ConfigureAwait(false);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or TimeoutException or InvalidOperationException)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }

        _process.Dispose();
    }
}

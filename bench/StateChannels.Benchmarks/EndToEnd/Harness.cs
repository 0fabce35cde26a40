using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using StateChannels.Ethereum;
using StateChannels.Net;
using StateChannels.Samples;

namespace StateChannels.Benchmarks.EndToEnd;

/// <summary>
/// The end-to-end stage (issue 7): anvil with the adjudicator deployed; the hub as a child OS
/// process and the driver (this process) as the payer, over loopback TCP, each with its own
/// durable LiteDB file. Per secp256k1 backend (managed, then native): sequential and concurrent
/// payments on one channel; 1,000 channels opened on chain (the driver funds them, one deposit
/// each); the hub's memory before and after; payments over all of them (closed and open loop).
/// Then the reopen of a store holding 10,000 channels. Writes bench/results/e2e.json.
/// </summary>
internal static class Harness
{
    /// <summary>Set to a directory to pause after each memory reading of the idle channels (<see cref="PauseAsync"/>).</summary>
    public const string PauseVariable = "STATECHANNELS_E2E_PAUSE_DIR";

    public static readonly Amount ChannelFunding = Amount.Parse("1000000000000000"); // 0.001 ETH: a million 1-wei payments

    public static async Task<JsonObject> RunAsync(E2eSettings settings, TextWriter log)
    {
        var figures = new JsonObject
        {
            ["measured_at"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["e2e_settings"] = settings.Describe(),
            ["e2e_load_before"] = LoadAverage(),
        };
        var anvilOptions = new LocalAnvilOptions { Accounts = 10, BalanceEth = 1_000_000, RepositoryRoot = settings.RepositoryRoot, Progress = log.WriteLine };
        await using (var anvil = await LocalAnvil.StartAsync(anvilOptions).ConfigureAwait(false))
        {
            using var deployer = PrivateKey.Parse(anvil.PrivateKeys[0]);
            var adjudicator = await EthereumAdjudicator.DeployAsync(anvil.RpcUrl, deployer, Party.ChainOptions()).ConfigureAwait(false);
            log.WriteLine($"e2e: anvil at {anvil.RpcUrl}, adjudicator {adjudicator}");
            var account = 1;
            foreach (var backend in settings.Backends)
            {
                var suffix = backend == "managed" ? string.Empty : "_" + backend;
                var run = await RunBackendAsync(settings, anvil, adjudicator, backend, anvil.PrivateKeys[account], anvil.PrivateKeys[account + 1], log)
                    .ConfigureAwait(false);
                account += 2;
                foreach (var (key, value) in run)
                {
                    figures[key + suffix] = value?.DeepClone();
                }
            }
        }

        foreach (var backend in settings.Backends)
        {
            var suffix = backend == "managed" ? string.Empty : "_" + backend;
            var reopen = await Reopen.MeasureAsync(settings.ReopenChannels, Party.Backend(backend), log).ConfigureAwait(false);
            figures["store_reopen_channels"] = settings.ReopenChannels;
            figures["store_reopen_open_ms" + suffix] = Math.Round(reopen.OpenMs, 1);
            figures["store_reopen_client_ms" + suffix] = Math.Round(reopen.ClientMs, 1);
            figures["store_reopen_client_cpu_ms" + suffix] = Math.Round(reopen.ClientCpuMs, 1);
        }

        figures["e2e_load_after"] = LoadAverage();
        return figures;
    }

    private static async Task<JsonObject> RunBackendAsync(
        E2eSettings settings, LocalAnvil anvil, EthAddress adjudicator, string backend, string driverTxKey, string hubTxKey, TextWriter log)
    {
        var dir = Scratch.CreateDirectory("e2e-" + backend);
        var result = new JsonObject();
        try
        {
            var (driverKeyHex, driverKey) = NewKey();
            var (hubKeyHex, hubKey) = NewKey();
            using var disposeDriverKey = driverKey;
            using var disposeHubKey = hubKey;
            await using var hub = await HubClient.StartAsync(
                anvil.RpcUrl, adjudicator, hubKeyHex, hubTxKey, Path.Combine(dir, "hub.db"), backend, settings.HubServerGc).ConfigureAwait(false);
            await using var driver = await Party.StartAsync(
                anvil.RpcUrl, adjudicator, driverKeyHex, driverTxKey, Path.Combine(dir, "driver.db"), Party.Backend(backend), CancellationToken.None)
                .ConfigureAwait(false);
            await driver.DialAsync(new IPEndPoint(IPAddress.Loopback, hub.Port), hub.Address, CancellationToken.None).ConfigureAwait(false);
            log.WriteLine($"e2e [{backend}]: hub pid {hub.ProcessId} on port {hub.Port}; driver pid {Environment.ProcessId}; files in {dir}");

            // One channel: sequential, then concurrent payments.
            var one = await driver.Client.OpenChannelAsync(hub.Address, ChannelFunding, Amount.Zero).ConfigureAwait(false);
            await WaitActiveOnHubAsync(hub, 1).ConfigureAwait(false);
            // Warm both processes up on both paths first (JIT tiering burns CPU for a few seconds in a fresh process).
            await Workloads.SequentialAsync(one, settings.Warmup).ConfigureAwait(false);
            await Workloads.ClosedLoopAsync([one], settings.ConcurrentCallers, settings.Warmup).ConfigureAwait(false);
            await Workloads.SequentialAsync(one, settings.Warmup).ConfigureAwait(false);
            var sequential = await CpuAsync(hub, driver, "sequential", result, log, () => Workloads.SequentialAsync(one, settings.Duration)).ConfigureAwait(false);
            log.WriteLine($"e2e [{backend}] sequential, one channel: {sequential}; CPU µs/payment hub {result["sequential_cpu_us_per_payment_hub"]}, driver {result["sequential_cpu_us_per_payment_driver"]}");
            await Workloads.ClosedLoopAsync([one], settings.ConcurrentCallers, settings.Warmup).ConfigureAwait(false);
            var concurrent = await CpuAsync(hub, driver, "concurrent", result, log, () => Workloads.ClosedLoopAsync([one], settings.ConcurrentCallers, settings.Duration)).ConfigureAwait(false);
            log.WriteLine($"e2e [{backend}] concurrent, one channel, {settings.ConcurrentCallers} callers: {concurrent} (latest version {one.Latest?.State.Version}); CPU µs/payment hub {result["concurrent_cpu_us_per_payment_hub"]}, driver {result["concurrent_cpu_us_per_payment_driver"]}");

            // The hub: N more channels, idle, then all paying.
            var hubBefore = await hub.MemoryAsync().ConfigureAwait(false);
            var driverBefore = Memory.Measure();
            var detailBefore = (Hub: await hub.MemoryDetailAsync().ConfigureAwait(false), Driver: Memory.Detail());
            await PauseAsync("before", log).ConfigureAwait(false);
            // Opened in two halves, the hub measured between them: the second half's growth leaves out
            // what the first channels cost once (JIT code of the opening path, the GC's headroom).
            var opening = Stopwatch.StartNew();
            var channels = await OpenManyAsync(driver.Client, hub.Address, settings.HubChannels / 2, settings.OpenParallelism, log).ConfigureAwait(false);
            await WaitActiveOnHubAsync(hub, channels.Count + 1).ConfigureAwait(false);
            opening.Stop();
            var hubHalf = await hub.MemoryAsync().ConfigureAwait(false);
            var firstHalf = channels.Count;
            opening.Start();
            channels.AddRange(await OpenManyAsync(driver.Client, hub.Address, settings.HubChannels - firstHalf, settings.OpenParallelism, log).ConfigureAwait(false));
            await WaitActiveOnHubAsync(hub, channels.Count + 1).ConfigureAwait(false);
            opening.Stop();
            var hubAfter = await hub.MemoryAsync().ConfigureAwait(false);
            var driverAfter = Memory.Measure();
            var detailAfter = (Hub: await hub.MemoryDetailAsync().ConfigureAwait(false), Driver: Memory.Detail());
            await PauseAsync("after", log).ConfigureAwait(false);
            log.WriteLine($"e2e [{backend}]: opened {channels.Count} channels in {opening.Elapsed.TotalSeconds:F1} s ({channels.Count / opening.Elapsed.TotalSeconds:F1}/s, {settings.OpenParallelism} at a time)");
            log.WriteLine($"e2e [{backend}]: hub managed heap {hubBefore.Managed / 1024} -> {hubHalf.Managed / 1024} (half) -> {hubAfter.Managed / 1024} KiB, working set {hubBefore.WorkingSet / 1024} -> {hubHalf.WorkingSet / 1024} (half) -> {hubAfter.WorkingSet / 1024} KiB");
            log.WriteLine($"e2e [{backend}]: hub memory detail before: {detailBefore.Hub}; after: {detailAfter.Hub}");
            log.WriteLine($"e2e [{backend}]: driver managed heap {driverBefore.Managed / 1024} -> {driverAfter.Managed / 1024} KiB, working set {driverBefore.WorkingSet / 1024} -> {driverAfter.WorkingSet / 1024} KiB; detail before: {detailBefore.Driver}; after: {detailAfter.Driver}");

            await Workloads.ClosedLoopAsync(channels, settings.HubCallers, settings.Warmup).ConfigureAwait(false);
            var hubPeak = await CpuAsync(hub, driver, "hub", result, log, () => Workloads.ClosedLoopAsync(channels, settings.HubCallers, settings.Duration)).ConfigureAwait(false);
            log.WriteLine($"e2e [{backend}] hub, {channels.Count} channels, {settings.HubCallers} callers: {hubPeak}; CPU µs/payment hub {result["hub_cpu_us_per_payment_hub"]}, driver {result["hub_cpu_us_per_payment_driver"]}");
            var hubTarget = await CpuAsync(hub, driver, "hub_offered", result, log, () => Workloads.OpenLoopAsync(channels, settings.HubOfferedPerSecond, settings.Duration)).ConfigureAwait(false);
            log.WriteLine($"e2e [{backend}] hub, {channels.Count} channels, {settings.HubOfferedPerSecond}/s offered: {hubTarget}; CPU µs/payment hub {result["hub_offered_cpu_us_per_payment_hub"]}, driver {result["hub_offered_cpu_us_per_payment_driver"]}");
            var perConnection = await IdleConnectionsAsync(hub, driver, settings.IdleConnections, log).ConfigureAwait(false);
            result["idle_connection_managed_bytes"] = Math.Round(perConnection.Managed, 0);
            result["idle_connection_working_set_bytes"] = Math.Round(perConnection.WorkingSet, 0);

            result["sequential_payments_per_s"] = Math.Round(sequential.PerSecond, 0);
            result["sequential_p50_ms"] = Math.Round(sequential.P50Ms, 3);
            result["sequential_p99_ms"] = Math.Round(sequential.P99Ms, 3);
            result["concurrent_payments_per_s"] = Math.Round(concurrent.PerSecond, 0);
            result["concurrent_p50_ms"] = Math.Round(concurrent.P50Ms, 3);
            result["concurrent_p99_ms"] = Math.Round(concurrent.P99Ms, 3);
            result["hub_channels"] = channels.Count;
            result["hub_payments_per_s"] = Math.Round(hubPeak.PerSecond, 0);
            // The latency target goes with the rate target: p99 while payments arrive at the offered
            // rate (5,000/s). A closed loop of 1,000 callers keeps 1,000 payments in flight, so its
            // latency is 1,000 / throughput by construction (Little's law); it is kept beside it.
            result["hub_closed_loop_p50_ms"] = Math.Round(hubPeak.P50Ms, 3);
            result["hub_closed_loop_p99_ms"] = Math.Round(hubPeak.P99Ms, 3);
            result["hub_p50_ms"] = Math.Round(hubTarget.P50Ms, 3);
            result["hub_p99_ms"] = Math.Round(hubTarget.P99Ms, 3);
            result["hub_offered_per_s"] = settings.HubOfferedPerSecond;
            result["hub_gc"] = hub.Gc;
            result["hub_offered_achieved_per_s"] = Math.Round(hubTarget.PerSecond, 0);
            result["hub_offered_p50_ms"] = Math.Round(hubTarget.P50Ms, 3);
            result["hub_offered_p99_ms"] = Math.Round(hubTarget.P99Ms, 3);
            result["hub_failed_payments"] = hubPeak.Failures + hubTarget.Failures + concurrent.Failures;
            result["hub_open_channels_per_s"] = Math.Round(channels.Count / opening.Elapsed.TotalSeconds, 1);
            result["idle_channel_managed_bytes"] = Math.Round((hubAfter.Managed - hubBefore.Managed) / (double)channels.Count, 0);
            result["idle_channel_working_set_bytes"] = Math.Round((hubAfter.WorkingSet - hubBefore.WorkingSet) / (double)channels.Count, 0);
            var secondHalf = Math.Max(1, channels.Count - firstHalf);
            result["idle_channel_managed_bytes_second_half"] = Math.Round((hubAfter.Managed - hubHalf.Managed) / (double)secondHalf, 0);
            result["idle_channel_working_set_bytes_second_half"] = Math.Round((hubAfter.WorkingSet - hubHalf.WorkingSet) / (double)secondHalf, 0);
            result["idle_channel_managed_bytes_driver"] = Math.Round((driverAfter.Managed - driverBefore.Managed) / (double)channels.Count, 0);
            result["idle_channel_working_set_bytes_driver"] = Math.Round((driverAfter.WorkingSet - driverBefore.WorkingSet) / (double)channels.Count, 0);
        }
        finally
        {
            Scratch.Delete(dir);
        }

        return result;
    }

    /// <summary>
    /// Runs a workload and records the CPU time each process spent per payment: unlike wall-clock
    /// rates, this barely depends on what else the shared machine is running, so before/after
    /// comparisons stay meaningful under load.
    /// </summary>
    private static async Task<WorkloadResult> CpuAsync(
        HubClient hub, Party driver, string name, JsonObject result, TextWriter log, Func<Task<WorkloadResult>> workload)
    {
        var hub0 = await hub.CountersAsync().ConfigureAwait(false);
        var driver0 = ProcessCounters.Read(driver.Store);
        var r = await workload().ConfigureAwait(false);
        var hubUsed = await hub.CountersAsync().ConfigureAwait(false) - hub0;
        var driverUsed = ProcessCounters.Read(driver.Store) - driver0;
        var payments = Math.Max(1, r.Payments);
        result[name + "_cpu_us_per_payment_hub"] = Math.Round(hubUsed.CpuMs * 1000 / payments, 1);
        result[name + "_cpu_us_per_payment_driver"] = Math.Round(driverUsed.CpuMs * 1000 / payments, 1);
        result[name + "_gc_pause_ms_hub"] = Math.Round(hubUsed.GcPauseMs, 1);
        result[name + "_gc_pause_ms_driver"] = Math.Round(driverUsed.GcPauseMs, 1);
        result[name + "_allocated_bytes_per_payment_hub"] = Math.Round((double)hubUsed.AllocatedBytes / payments, 0);
        result[name + "_allocated_bytes_per_payment_driver"] = Math.Round((double)driverUsed.AllocatedBytes / payments, 0);
        result[name + "_syncs_hub"] = hubUsed.Syncs;
        result[name + "_sync_ms_hub"] = Math.Round(hubUsed.SyncMs, 1);
        result[name + "_syncs_driver"] = driverUsed.Syncs;
        result[name + "_sync_ms_driver"] = Math.Round(driverUsed.SyncMs, 1);
        log.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"e2e {name}: allocated per payment hub {hubUsed.AllocatedBytes / payments} B, driver {driverUsed.AllocatedBytes / payments} B; GCs (gen0/1/2) hub {hubUsed.Gen0}/{hubUsed.Gen1}/{hubUsed.Gen2}, driver {driverUsed.Gen0}/{driverUsed.Gen1}/{driverUsed.Gen2}; GC pauses hub {hubUsed.GcPauseMs:F1} ms, driver {driverUsed.GcPauseMs:F1} ms; store syncs hub {hubUsed.Syncs} ({hubUsed.SyncMs:F1} ms), driver {driverUsed.Syncs} ({driverUsed.SyncMs:F1} ms)"));
        return r;
    }

    /// <summary>
    /// Memory the hub spends per idle player connection: <paramref name="count"/> players (fresh keys,
    /// no channel) dial the hub, authenticate and stay connected while nothing is sent; the hub's
    /// growth over them (after a full GC), per connection. The hub serves each as it serves any
    /// peer (its client runs the connection). The connections are closed afterwards.
    /// </summary>
    private static async Task<(double Managed, double WorkingSet)> IdleConnectionsAsync(HubClient hub, Party driver, int count, TextWriter log)
    {
        var endPoint = new IPEndPoint(IPAddress.Loopback, hub.Port);
        var baseline = await hub.ConnectionsAsync().ConfigureAwait(false);
        var before = await hub.MemoryAsync().ConfigureAwait(false);
        await PauseAsync("connections-before", log).ConfigureAwait(false);
        var players = new List<(PrivateKey Key, TcpMessageConnection Connection)>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var key = PrivateKey.Create();
                var dialer = new TcpChannelDialer(new PrivateKeySigner(key), driver.Domain, Party.TransportOptions(), NullLogger.Instance);
                players.Add((key, await dialer.ConnectAsync(Party.HubAddress(endPoint), hub.Address).ConfigureAwait(false)));
            }

            var deadline = Stopwatch.StartNew();
            while (await hub.ConnectionsAsync().ConfigureAwait(false) < baseline + count)
            {
                if (deadline.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new InvalidOperationException($"the hub serves {await hub.ConnectionsAsync().ConfigureAwait(false) - baseline} of {count} idle connections after 60 s");
                }

                await Task.Delay(50).ConfigureAwait(false);
            }

            await Task.Delay(500).ConfigureAwait(false); // let each connection's first reads settle
            var after = await hub.MemoryAsync().ConfigureAwait(false);
            await PauseAsync("connections-after", log).ConfigureAwait(false);
            var managed = (after.Managed - before.Managed) / (double)count;
            var workingSet = (after.WorkingSet - before.WorkingSet) / (double)count;
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"e2e: {count} idle player connections: hub managed heap {before.Managed / 1024} -> {after.Managed / 1024} KiB ({managed:F0} B each), working set {before.WorkingSet / 1024} -> {after.WorkingSet / 1024} KiB ({workingSet:F0} B each)"));
            return (managed, workingSet);
        }
        finally
        {
            foreach (var (key, connection) in players)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                key.Dispose();
            }
        }
    }

    /// <summary>
    /// With <see cref="PauseVariable"/> set to a directory: logs <c>PAUSE NAME driver PID</c> and waits
    /// until a file NAME appears there, so that heap dumps of the hub and the driver can be taken
    /// (<c>dotnet-gcdump collect -p PID</c>) right after each memory reading ("before", "after"; "connections-before", "connections-after" around the idle player connections).
    /// </summary>
    private static async Task PauseAsync(string name, TextWriter log)
    {
        if (Environment.GetEnvironmentVariable(PauseVariable) is not { Length: > 0 } directory)
        {
            return;
        }

        log.WriteLine($"PAUSE {name} driver {Environment.ProcessId}");
        log.Flush();
        while (!File.Exists(Path.Combine(directory, name)))
        {
            await Task.Delay(200).ConfigureAwait(false);
        }
    }

    private static async Task<List<Channel>> OpenManyAsync(StateChannelClient client, EthAddress hub, int count, int parallel, TextWriter log)
    {
        var opened = new List<Channel>(count);
        using var gate = new SemaphoreSlim(parallel);
        var failures = 0;
        var tasks = Enumerable.Range(0, count).Select(async _ =>
        {
            await gate.WaitAsync().ConfigureAwait(false);
            try
            {
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        var channel = await client.OpenChannelAsync(hub, ChannelFunding, Amount.Zero).ConfigureAwait(false);
                        lock (opened)
                        {
                            opened.Add(channel);
                        }

                        return;
                    }
                    catch (StateChannelException e) when (attempt < 2)
                    {
                        Interlocked.Increment(ref failures);
                        log.WriteLine($"e2e: open failed ({e.Code}: {e.Message}); retrying");
                    }
                }
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        return opened;
    }

    private static async Task WaitActiveOnHubAsync(HubClient hub, int count)
    {
        var deadline = Stopwatch.StartNew();
        while ((await hub.CountAsync().ConfigureAwait(false)).Active < count)
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(5))
            {
                throw new TimeoutException($"the hub did not see {count} active channels");
            }

            await Task.Delay(200).ConfigureAwait(false);
        }
    }

    /// <summary>A fresh channel key and its hex (handed to a process of ours; never a funded account).</summary>
    private static (string Hex, PrivateKey Key) NewKey()
    {
        var bytes = new byte[32];
        while (true)
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
            if (PrivateKey.TryFromBytes(bytes, out var key))
            {
                return ("0x" + Convert.ToHexString(bytes).ToLowerInvariant(), key);
            }
        }
    }

    private static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}

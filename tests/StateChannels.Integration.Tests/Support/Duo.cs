using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace StateChannels.Integration.Tests.Support;

/// <summary>
/// Alice (party 0: listens, opens the channel) and Bob (party 1: dials), each a PeerHost process
/// with its own LiteDB file and transaction account, restartable from that file. Keeps every run's
/// output and audits the files after each kill and at the end.
/// </summary>
public sealed class Duo : IAsyncDisposable
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);
    private static readonly string[] Names = ["alice", "bob"];

    private readonly ChainFixture _chain;
    private readonly ITestOutputHelper _log;
    private readonly string _dir;
    private readonly string[] _keys;
    private readonly string[] _txKeys;
    private readonly int _port;

    // The listener's Noise static key, kept across its restarts (like its channel key): the dialer is given its public half.
    private readonly StateChannels.Net.Noise.NoiseStaticKey _noiseKey = StateChannels.Net.Noise.NoiseStaticKey.Create();
    private readonly PeerProcess?[] _current = new PeerProcess?[2];
    private readonly List<PeerProcess>[] _runs = [[], []];
    private readonly Dictionary<PeerProcess, string?> _armed = [];

    private Duo(ChainFixture chain, ITestOutputHelper log, string dir)
    {
        _chain = chain;
        _log = log;
        _dir = dir;
        _keys = [NewKeyHex(), NewKeyHex()];
        _txKeys = [chain.NextTransactionKey(), chain.NextTransactionKey()];
        Addresses = _keys.Select(k =>
        {
            using var key = PrivateKey.Parse(k);
            return key.Address;
        }).ToArray();
        _port = FreePort();
        Audit = new ChannelAudit(Addresses[0], Addresses[1]);
    }

    public EthAddress[] Addresses { get; }

    public ChannelAudit Audit { get; }

    public ChannelId Channel { get; private set; }

    /// <summary>
    /// Whether the parties' stores are also their transaction journals (as in samples/Wallet): a
    /// restarted party then finds a transaction it sent before it died instead of sending it again.
    /// Set before the first start; every restart keeps it.
    /// </summary>
    public bool Journaled { get; init; }

    /// <summary>Processes killed (by the test or by a crash point).</summary>
    public int Kills { get; private set; }

    public PeerProcess this[int party] => _current[party] ?? throw new InvalidOperationException($"{Names[party]} is not running");

    public static Duo Create(ChainFixture chain, ITestOutputHelper log, bool journaled = false)
    {
        var dir = Path.Combine(Path.GetTempPath(), "statechannels-it-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        return new Duo(chain, log, dir) { Journaled = journaled };
    }

    /// <summary>The party's on-chain transaction account.</summary>
    public EthAddress TransactionAccount(int party)
    {
        using var key = PrivateKey.Parse(_txKeys[party]);
        return key.Address;
    }

    public string DbPath(int party) => Path.Combine(_dir, Names[party] + ".db");

    /// <summary>Every line of every run of <paramref name="party"/>.</summary>
    public IReadOnlyList<HostLine> AllLines(int party) => _runs[party].SelectMany(r => r.Lines).ToList();

    /// <summary>Starts (or restarts) a party from its file; <paramref name="crashAt"/> arms a crash point.</summary>
    public PeerProcess Start(int party, string? crashAt = null)
    {
        Assert.True(_current[party] is null || _current[party]!.HasExited, $"{Names[party]} is still running");
        var run = $"{Names[party][0]}{_runs[party].Count}";
        var args = new List<string>
        {
            "--role", party == 0 ? "listen" : "dial",
            "--db", DbPath(party),
            "--rpc", _chain.Node.RpcUrl.ToString(),
            "--adjudicator", _chain.Adjudicator.ToString(),
            "--peer", Addresses[1 - party].ToString(),
            "--run", run,
            "--journal", Journaled ? "store" : "none",
        };
        args.AddRange(party == 0
            ? ["--listen", $"127.0.0.1:{_port}"]
            : ["--connect", $"{_noiseKey.PublicKey}@127.0.0.1:{_port}"]);
        var env = new Dictionary<string, string>
        {
            ["PEERHOST_KEY"] = _keys[party],
            ["PEERHOST_TX_KEY"] = _txKeys[party],
        };
        if (party == 0)
        {
            env["PEERHOST_NOISE_KEY"] = NoiseSecretHex();
        }

        if (crashAt is not null)
        {
            env["STATECHANNELS_CRASH_AT"] = crashAt;
        }

        var process = PeerProcess.Start($"{Names[party]}#{_runs[party].Count}", args, env);
        process.Partner = () => _current[1 - party];
        _runs[party].Add(process);
        _armed[process] = crashAt;
        _current[party] = process;
        return process;
    }

    /// <summary>
    /// Alice opens the channel (or finds it after a restart); both wait until it is active.
    /// <paramref name="pending"/>: a party's open or wait command already under way (null: send one).
    /// </summary>
    public async Task OpenAsync(Amount funding0, Amount funding1, Task<HostLine>?[]? pending = null)
    {
        await Task.WhenAll(
            pending?[0] ?? this[0].CommandAsync($"open {funding0} {funding1}", CommandTimeout),
            pending?[1] ?? this[1].CommandAsync("wait-channel", CommandTimeout));
        await LearnChannelAsync();
    }

    /// <summary>Reads the channel id both current processes reported (they agree).</summary>
    public async Task LearnChannelAsync()
    {
        var a = await this[0].WaitForAsync(l => l.Ev == "channel", CommandTimeout);
        var b = await this[1].WaitForAsync(l => l.Ev == "channel", CommandTimeout);
        Assert.Equal(a.Str("id"), b.Str("id"));
        Channel = ChannelId.Parse(a.Str("id"));
    }

    /// <summary>After a restart: wait until the party is back on the active channel.</summary>
    public Task RejoinAsync(int party) => this[party].CommandAsync("wait-channel", CommandTimeout);

    /// <summary>kill -9, then read and check the party's file, including this run's durability.</summary>
    public async Task KillAsync(int party)
    {
        var process = this[party];
        process.Kill();
        await AfterDeathAsync(party, process, expectCrashPoint: false);
    }

    /// <summary>Waits for the armed crash point to kill the party, then reads and checks its file.</summary>
    public async Task ExpectCrashAsync(int party, TimeSpan timeout)
    {
        var process = this[party];
        await process.WaitForExitAsync(timeout);
        await AfterDeathAsync(party, process, expectCrashPoint: true);
    }

    /// <summary>The crash point the party's current run was started with, if any.</summary>
    public string? ArmedWith(int party) => _armed[this[party]];

    /// <summary>
    /// Kills the party with kill -9 unless it already died (by its crash point), then checks its file
    /// (history read incrementally when <paramref name="incremental"/>). True when a crash point killed it.
    /// </summary>
    public async Task<bool> KillOrReapAsync(int party, bool incremental)
    {
        var process = this[party];
        var byCrashPoint = process.HasExited && _armed[process] is not null;
        if (!byCrashPoint)
        {
            process.Kill();
        }

        await AfterDeathAsync(party, process, byCrashPoint, incremental);
        return byCrashPoint;
    }

    private async Task AfterDeathAsync(int party, PeerProcess process, bool expectCrashPoint, bool incremental = false)
    {
        var code = await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(code == PeerProcess.KilledExitCode, $"{process.Name} exited with {code}, not by SIGKILL\n{process.Tail()}");
        if (expectCrashPoint)
        {
            Assert.True(
                process.StdErr.Contains($"STATECHANNELS_CRASH_AT: killing the process at {_armed[process]!.Split(':')[0]}", StringComparison.Ordinal),
                $"{process.Name} was not killed by its crash point {_armed[process]}\n{process.Tail()}");
        }

        Kills++;
        var snapshot = await Audit.ObserveAsync(party, DbPath(party), incremental);
        if (Channel != default)
        {
            ChannelAudit.AssertDurable(snapshot, Channel, process.Lines);
        }
    }

    /// <summary>Stops both workloads, waits until both hold the same latest state, and returns it (version, b0, b1).</summary>
    public async Task<(ulong Version, Amount B0, Amount B1)> QuiesceAsync()
    {
        await Task.WhenAll(this[0].CommandAsync("stop", CommandTimeout), this[1].CommandAsync("stop", CommandTimeout));
        var reports = await Task.WhenAll(ReportAsync(0), ReportAsync(1));
        var top = Math.Max(reports[0].U64("version"), reports[1].U64("version"));
        await Task.WhenAll(
            this[0].CommandAsync($"await-version {top}", CommandTimeout),
            this[1].CommandAsync($"await-version {top}", CommandTimeout));
        reports = await Task.WhenAll(ReportAsync(0), ReportAsync(1));
        foreach (var field in new[] { "id", "version", "b0", "b1", "final" })
        {
            Assert.True(reports[0].Str(field) == reports[1].Str(field), $"the parties disagree on {field}:\n{reports[0]}\n{reports[1]}");
        }

        return (reports[0].U64("version"), reports[0].Amount("b0"), reports[0].Amount("b1"));
    }

    public async Task<HostLine> ReportAsync(int party)
    {
        var from = this[party].LineCount;
        await this[party].CommandAsync("report", CommandTimeout);
        return await this[party].WaitForAsync(l => l.Ev == "report", CommandTimeout, from);
    }

    /// <summary>
    /// Exits both processes cleanly, reads both files, and checks every invariant over everything
    /// printed by every run. Returns (acknowledged, paid) per party.
    /// </summary>
    public async Task<(Amount Acked, Amount Paid)[]> ShutdownAndAuditAsync()
    {
        for (var party = 0; party < 2; party++)
        {
            var process = this[party];
            await process.SendAsync("exit");
            var code = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(code == 0, $"{process.Name} exited with {code}\n{process.Tail()}");
        }

        var snapshots = new[] { await Audit.ObserveAsync(0, DbPath(0)), await Audit.ObserveAsync(1, DbPath(1)) };
        for (var party = 0; party < 2; party++)
        {
            ChannelAudit.AssertDurable(snapshots[party], Channel, _runs[party][^1].Lines);
            foreach (var run in _runs[party])
            {
                var alarms = run.Lines.Where(l => l.Ev is "equivocation" or "misbehaved" or "payfail").ToList();
                Assert.True(alarms.Count == 0, $"{run.Name} raised: {string.Join('\n', alarms.Take(10))}");
            }
        }

        var latest0 = snapshots[0].Channels[Channel].Record.Latest;
        var latest1 = snapshots[1].Channels[Channel].Record.Latest;
        Assert.Equal(latest0, latest1);
        var result = Audit.AssertPayments(Channel, [AllLines(0), AllLines(1)]);
        _log.WriteLine(
            $"audit: {Audit.Observations} file reads, {Kills} kills, final version {latest0!.State.Version}, " +
            $"alice acked {result[0].Acked} paid {result[0].Paid}, bob acked {result[1].Acked} paid {result[1].Paid}");
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var run in _runs.SelectMany(r => r))
        {
            await run.DisposeAsync();
        }

        if (Environment.GetEnvironmentVariable("STATECHANNELS_IT_DUMP") is { Length: > 0 })
        {
            _log.WriteLine($"LiteDB files kept in {_dir}");
            return;
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string NoiseSecretHex()
    {
        var secret = new byte[32];
        _noiseKey.WriteSecret(secret);
        return Convert.ToHexString(secret);
    }

    private static string NewKeyHex()
    {
        while (true)
        {
            var bytes = RandomNumberGenerator.GetBytes(32);
            if (PrivateKey.TryFromBytes(bytes, out var key))
            {
                key.Dispose();
                return "0x" + Convert.ToHexStringLower(bytes);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

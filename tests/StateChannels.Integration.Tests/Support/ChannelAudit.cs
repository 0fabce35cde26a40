using StateChannels.Storage.LiteDb;

namespace StateChannels.Integration.Tests.Support;

/// <summary>
/// The invariants checked from the parties' LiteDB files and their printed acknowledgements, over
/// every observation made during a test (after each kill, and at the end):
/// <list type="bullet">
/// <item>every stored state is signed by both participants and conserves the funding total;</item>
/// <item>never two different fully signed states at one version, across both files and all observations;</item>
/// <item>sign-once: no party's key signed two different states at one version (its sign-once record
/// included), and neither its sign-once record nor its latest state ever goes back to a lower version;</item>
/// <item>durable before acknowledged: every payment a process acknowledged (or received) before it was
/// killed is in its own file at the acknowledged version, with the printed balance;</item>
/// <item>nothing lost, nothing invented: at each version, the payments acknowledged there add up to at
/// most what the payer's balance went down by; over the whole history each side paid at least what it
/// acknowledged and at most what it attempted.</item>
/// </list>
/// Party 0 is the opener (participant 0), party 1 the other.
/// </summary>
public sealed class ChannelAudit(EthAddress party0, EthAddress party1)
{
    private readonly EthAddress[] _parties = [party0, party1];
    private readonly Dictionary<ChannelId, Book> _books = [];

    /// <summary>Files read so far.</summary>
    public int Observations { get; private set; }

    /// <summary>Fully signed states known for <paramref name="id"/>, by version.</summary>
    public IReadOnlyDictionary<ulong, SignedState> FullStates(ChannelId id) => _books[id].Full;

    /// <summary>The channel's params as stored.</summary>
    public ChannelParams ParamsOf(ChannelId id) => _books[id].Params;

    /// <summary>Reads a party's file (its process must have exited), checks it, and returns what it holds.</summary>
    /// <param name="party">0 or 1.</param>
    /// <param name="dbPath">The party's LiteDB file.</param>
    /// <param name="incremental">
    /// Read each channel's history only from the latest version this party's file showed last time
    /// (enough for the durability of a run: everything it made is above that); false reads it all.
    /// </param>
    public async Task<Snapshot> ObserveAsync(int party, string dbPath, bool incremental = false)
    {
        var snapshot = new Snapshot(party);
        await using (var store = LiteDbChannelStore.Open(dbPath))
        {
            await foreach (var record in store.GetChannelsAsync())
            {
                var from = incremental && _books.TryGetValue(record.Id, out var known) ? known.LatestVersion[party] ?? 0 : 0;
                var history = new List<SignedState>();
                await foreach (var s in store.GetHistoryAsync(record.Id, from))
                {
                    history.Add(s);
                }

                snapshot.Channels[record.Id] = (record, history);
            }
        }

        foreach (var (record, history) in snapshot.Channels.Values)
        {
            Check(party, record, history);
        }

        Observations++;
        return snapshot;
    }

    /// <summary>Durable before acknowledged: what this run of <paramref name="party"/> printed is in <paramref name="own"/>.</summary>
    public static void AssertDurable(Snapshot own, ChannelId id, IEnumerable<HostLine> runLines)
    {
        Assert.True(own.Channels.TryGetValue(id, out var entry), $"party {own.Party}: channel {id} missing from its file");
        var byVersion = entry.History.ToDictionary(s => s.State.Version);
        var index = entry.Record.MyIndex;
        foreach (var line in runLines.Where(l => l.Ev is "ack" or "recv"))
        {
            var version = line.U64("version");
            Assert.True(
                byVersion.TryGetValue(version, out var state),
                $"party {own.Party} printed {line.Raw} but its file holds no state at version {version} (latest {entry.Record.Latest?.State.Version})");
            Assert.True(
                state!.State.BalanceOf(index) == line.Amount("balance"),
                $"party {own.Party} printed {line.Raw} but its file has balance {state.State.BalanceOf(index)} at version {version}");
        }
    }

    /// <summary>
    /// No acknowledged payment lost and none invented, from every line of every run of both parties.
    /// Returns (acknowledged, paid) per party.
    /// </summary>
    public (Amount Acked, Amount Paid)[] AssertPayments(ChannelId id, IReadOnlyList<HostLine>[] linesByParty)
    {
        var book = _books[id];
        var versions = book.Full.Keys.ToList();
        var result = new (Amount Acked, Amount Paid)[2];
        for (var party = 0; party < 2; party++)
        {
            var lines = linesByParty[party];
            var acks = lines.Where(l => l.Ev == "ack").ToList();
            Assert.Equal(acks.Count, acks.Select(a => a.Str("id")).Distinct().Count());
            foreach (var group in acks.GroupBy(a => a.U64("version")))
            {
                var v = group.Key;
                Assert.True(book.Full.TryGetValue(v, out var state), $"party {party}: acknowledged payments at version {v}, which no file holds");
                var at = versions.IndexOf(v);
                Assert.True(at > 0, $"party {party}: acknowledged a payment at version {v}, the first state");
                var before = book.Full[versions[at - 1]].State.BalanceOf(party);
                var after = state!.State.BalanceOf(party);
                Assert.True(before > after, $"party {party}: acknowledged payments at version {v}, but its balance went {before} -> {after}");
                var acked = group.Aggregate(Amount.Zero, (s, a) => s + a.Amount("amount"));
                Assert.True(acked <= before - after, $"party {party}: acknowledged {acked} at version {v} but paid {before - after} there");
                foreach (var a in group)
                {
                    Assert.True(a.Amount("balance") == after, $"party {party}: {a.Raw} but the state at {v} gives it {after}");
                }
            }

            foreach (var r in lines.Where(l => l.Ev == "recv"))
            {
                Assert.True(book.Full.TryGetValue(r.U64("version"), out var state), $"party {party}: {r.Raw} but no file holds that version");
                Assert.True(state!.State.BalanceOf(party) == r.Amount("balance"), $"party {party}: {r.Raw} but the state gives {state.State.BalanceOf(party)}");
            }

            // Everything this party paid, version by version, against what it acknowledged and attempted.
            var paid = Amount.Zero;
            for (var i = 1; i < versions.Count; i++)
            {
                var before = book.Full[versions[i - 1]].State.BalanceOf(party);
                var after = book.Full[versions[i]].State.BalanceOf(party);
                if (after < before)
                {
                    paid += before - after;
                }
            }

            var ackedTotal = acks.Aggregate(Amount.Zero, (s, a) => s + a.Amount("amount"));
            var attempted = lines.Where(l => l.Ev == "pay").Aggregate(Amount.Zero, (s, a) => s + a.Amount("amount"));
            Assert.True(paid >= ackedTotal, $"party {party}: acknowledged {ackedTotal} but the history shows it paid {paid}");
            Assert.True(paid <= attempted, $"party {party}: attempted {attempted} but the history shows it paid {paid}");
            result[party] = (ackedTotal, paid);
        }

        return result;
    }

    private void Check(int party, ChannelRecord record, List<SignedState> history)
    {
        var me = _parties[party];
        var where = $"party {party} ({me}), channel {record.Id}";
        Assert.True(record.MyIndex == party, $"{where}: stored participant index {record.MyIndex}");
        Assert.True(record.Params.Participant0 == _parties[0] && record.Params.Participant1 == _parties[1], $"{where}: unexpected participants");
        Assert.True(Eip712.ComputeChannelId(record.Domain, record.Params) == record.Id, $"{where}: id does not match params");
        if (!_books.TryGetValue(record.Id, out var book))
        {
            book = new Book(record.Params, record.Domain);
            _books[record.Id] = book;
        }

        Assert.True(book.Params.Equals(record.Params) && book.Domain.Equals(record.Domain), $"{where}: params differ between files");

        ulong? previous = null;
        foreach (var s in history)
        {
            Assert.True(previous is null || s.State.Version > previous, $"{where}: history not strictly ascending at {s.State.Version}");
            previous = s.State.Version;
            AddFull(book, s, where);
        }

        if (record.Latest is { } latest)
        {
            Assert.True(history.Count > 0 && history[^1].Equals(latest), $"{where}: latest (version {latest.State.Version}) is not the top of its history");
            AddFull(book, latest, where);
            Assert.True(
                book.LatestVersion[party] is not { } seen || latest.State.Version >= seen,
                $"{where}: latest went back from version {book.LatestVersion[party]} to {latest.State.Version}");
            book.LatestVersion[party] = latest.State.Version;
        }
        else
        {
            Assert.True(book.LatestVersion[party] is null, $"{where}: latest state lost (was version {book.LatestVersion[party]})");
        }

        if (record.LastSigned is { } intent)
        {
            Assert.True(Eip712.HashState(record.Domain, intent.State) == intent.Digest, $"{where}: sign-once digest does not match its state");
            Assert.True(Ecdsa.Verify(intent.Digest, intent.Signature, me), $"{where}: sign-once signature is not ours");
            Assert.True(intent.State.ChannelId == record.Id, $"{where}: sign-once record of another channel");
            Assert.True(
                record.Latest is null || intent.State.Version >= record.Latest.State.Version,
                $"{where}: sign-once record (version {intent.State.Version}) below the latest state ({record.Latest?.State.Version})");
            Assert.True(
                book.LastSignedVersion[party] is not { } seen || intent.State.Version >= seen,
                $"{where}: sign-once record went back from version {book.LastSignedVersion[party]} to {intent.State.Version}");
            book.LastSignedVersion[party] = intent.State.Version;
            AddSigned(book, party, intent.State, intent.Digest, where + " (sign-once record)");
        }
        else
        {
            Assert.True(book.LastSignedVersion[party] is null, $"{where}: sign-once record lost");
            Assert.True(record.Latest is null, $"{where}: a latest state but no sign-once record");
        }
    }

    private static void AddFull(Book book, SignedState s, string where)
    {
        var p = book.Params;
        Assert.True(s.State.ChannelId == Eip712.ComputeChannelId(book.Domain, p), $"{where}: state of another channel");
        Assert.True(s.State.Balance0 + s.State.Balance1 == p.Funding0 + p.Funding1, $"{where}: version {s.State.Version} does not conserve the funding total");
        var digest = Eip712.HashState(book.Domain, s.State);
        Assert.True(Ecdsa.Verify(digest, s.Sig0, p.Participant0), $"{where}: version {s.State.Version} lacks participant 0's signature");
        Assert.True(Ecdsa.Verify(digest, s.Sig1, p.Participant1), $"{where}: version {s.State.Version} lacks participant 1's signature");
        if (book.Full.TryGetValue(s.State.Version, out var known))
        {
            Assert.True(known.Equals(s), $"{where}: two different signed states at version {s.State.Version}:\n{known}\n{s}");
        }
        else
        {
            book.Full[s.State.Version] = s;
        }

        AddSigned(book, 0, s.State, digest, where);
        AddSigned(book, 1, s.State, digest, where);
    }

    private static void AddSigned(Book book, int party, ChannelState state, Hash32 digest, string where)
    {
        if (book.Signed.TryGetValue((party, state.Version), out var known))
        {
            Assert.True(known.Digest == digest, $"{where}: party {party} signed two different states at version {state.Version}:\n{known.State}\n{state}");
        }
        else
        {
            book.Signed[(party, state.Version)] = (digest, state);
        }
    }

    /// <summary>What one file held when it was read.</summary>
    public sealed class Snapshot(int party)
    {
        public int Party { get; } = party;

        public Dictionary<ChannelId, (ChannelRecord Record, List<SignedState> History)> Channels { get; } = [];
    }

    private sealed class Book(ChannelParams parameters, Eip712Domain domain)
    {
        public ChannelParams Params { get; } = parameters;

        public Eip712Domain Domain { get; } = domain;

        public SortedDictionary<ulong, SignedState> Full { get; } = [];

        public Dictionary<(int Party, ulong Version), (Hash32 Digest, ChannelState State)> Signed { get; } = [];

        public ulong?[] LatestVersion { get; } = new ulong?[2];

        public ulong?[] LastSignedVersion { get; } = new ulong?[2];
    }
}

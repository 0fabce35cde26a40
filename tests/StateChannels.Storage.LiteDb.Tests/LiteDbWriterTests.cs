using System.Diagnostics;
using Xunit.Abstractions;
using static StateChannels.Testing.Conformance.StoreFixtures;

namespace StateChannels.Storage.LiteDb.Tests;

/// <summary>The single writer thread of <see cref="LiteDbChannelStore"/>: group commit, cancellation, shutdown, read isolation.</summary>
public sealed class LiteDbWriterTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _directory = new();

    private string DatabasePath => _directory.File("client.db");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ConcurrentWrites_AreCommittedTogether_AndAllVisible()
    {
        var journal = new DeviceJournal { WriteDelay = TimeSpan.FromMilliseconds(1) };
        await using LiteDbChannelStore store = Open(journal);
        long commitsBefore = store.Commits;
        ChannelRecord[] channels = Enumerable.Range(0, 200).Select(_ => NewChannel()).ToArray();

        await Task.WhenAll(channels.Select(c => Task.Run(async () =>
        {
            SignedState v0 = Signed(c.Id, 0);
            await store.WriteAsync(StoreBatch.Of(c.At(v0), v0));
        })));

        long commits = store.Commits - commitsBefore;
        output.WriteLine($"200 concurrent batches in {commits} commits");
        Assert.True(commits < 100, $"{commits} commits for 200 concurrent batches: no grouping");
        foreach (ChannelRecord c in channels)
        {
            Assert.Equal(Signed(c.Id, 0), await store.GetStateAsync(c.Id, 0));
        }
    }

    [Fact]
    public async Task MaxOperationsPerCommit_BoundsTheGroup()
    {
        var journal = new DeviceJournal { WriteDelay = TimeSpan.FromMilliseconds(1) };
        await using LiteDbChannelStore store = Open(journal, maxOperationsPerCommit: 1);
        long commitsBefore = store.Commits;

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(async () => await store.SetCursorAsync($"c{i}", (ulong)i))));

        Assert.Equal(20, store.Commits - commitsBefore);
    }

    [Fact]
    public async Task DisposeAsync_WithQueuedWrites_DrainsThemDurably()
    {
        ChannelRecord[] channels = Enumerable.Range(0, 100).Select(_ => NewChannel()).ToArray();
        LiteDbChannelStore store = LiteDbChannelStore.Open(DatabasePath);
        List<Task> writes = channels.Select(c => store.WriteAsync(StoreBatch.Of(c)).AsTask()).ToList();

        await store.DisposeAsync();

        await Task.WhenAll(writes);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.WriteAsync(StoreBatch.Of(NewChannel())));
        await using LiteDbChannelStore reopened = LiteDbChannelStore.Open(DatabasePath);
        foreach (ChannelRecord c in channels)
        {
            Assert.Equal(c, await reopened.GetChannelAsync(c.Id));
        }
    }

    [Fact]
    public async Task WriteAsync_CancelledWhileQueued_WritesNothing()
    {
        var journal = new DeviceJournal();
        await using LiteDbChannelStore store = Open(journal);
        ChannelRecord first = NewChannel();
        ChannelRecord second = NewChannel();
        journal.WriteDelay = TimeSpan.FromMilliseconds(150);
        using var cts = new CancellationTokenSource();

        Task busy = store.WriteAsync(StoreBatch.Of(first)).AsTask();
        await Task.Delay(20);
        Task queued = store.WriteAsync(StoreBatch.Of(second), cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        await busy;
        journal.WriteDelay = TimeSpan.Zero;
        Assert.Equal(first, await store.GetChannelAsync(first.Id));
        Assert.Null(await store.GetChannelAsync(second.Id));
    }

    [Fact]
    public async Task Reads_DuringWrites_SeeWholeBatchesOnly()
    {
        await using LiteDbChannelStore store = LiteDbChannelStore.Open(DatabasePath);
        ChannelRecord channel = NewChannel();
        using var done = new CancellationTokenSource();
        int checks = 0;

        Task reader = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                ChannelRecord? record = await store.GetChannelAsync(channel.Id);
                if (record?.Latest is { } latest)
                {
                    // Record and state are written by one batch: whoever sees one sees the other.
                    Assert.Equal(latest, await store.GetStateAsync(channel.Id, latest.State.Version));
                    checks++;
                }
            }
        });

        for (ulong v = 0; v < 150; v++)
        {
            SignedState state = Signed(channel.Id, v);
            await store.WriteAsync(StoreBatch.Of(channel.At(state), state));
        }

        await done.CancelAsync();
        await reader;
        Assert.True(checks > 0);
    }

    [Fact]
    public async Task Measure_SingleWriteLatency_And_GroupCommitThroughput()
    {
        // Informal figures for the report (a shared, noisy machine): no thresholds beyond sanity.
        await using LiteDbChannelStore store = LiteDbChannelStore.Open(DatabasePath);
        ChannelRecord channel = NewChannel();
        var latencies = new List<double>();
        for (ulong v = 0; v < 200; v++)
        {
            SignedState state = Signed(channel.Id, v);
            long start = Stopwatch.GetTimestamp();
            await store.WriteAsync(StoreBatch.Of(channel.At(state), state));
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        latencies.Sort();
        double median = latencies[latencies.Count / 2];
        double p99 = latencies[(int)(latencies.Count * 0.99)];

        ChannelRecord[] channels = Enumerable.Range(0, 64).Select(_ => NewChannel()).ToArray();
        long commitsBefore = store.Commits;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(channels.Select(c => Task.Run(async () =>
        {
            for (ulong v = 0; v < 30; v++)
            {
                SignedState state = Signed(c.Id, v);
                await store.WriteAsync(StoreBatch.Of(c.At(state), state));
            }
        })));
        clock.Stop();
        int batches = channels.Length * 30;
        double throughput = batches / clock.Elapsed.TotalSeconds;
        long commits = store.Commits - commitsBefore;

        output.WriteLine($"single writer: median {median:F2} ms, p99 {p99:F2} ms ({1000 / median:F0} writes/s)");
        output.WriteLine($"64 writers: {batches} batches in {clock.Elapsed.TotalMilliseconds:F0} ms = {throughput:F0} batches/s, {commits} commits ({(double)batches / commits:F1} batches/commit)");
        output.WriteLine($"group commit speed-up over one writer: {throughput * median / 1000:F1}x");
        Assert.True(commits < batches);
    }

    private LiteDbChannelStore Open(DeviceJournal journal, int maxOperationsPerCommit = 256) =>
        LiteDbChannelStore.Open(DatabasePath, new LiteDbStoreOptions { FileOpener = journal.Opener, MaxOperationsPerCommit = maxOperationsPerCommit });
}

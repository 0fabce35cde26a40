using System.Diagnostics;
using NativeBackend = StateChannels.Crypto.Native.NativeSecp256k1;
using StateChannels.Storage.LiteDb;

namespace StateChannels.Benchmarks.EndToEnd;

/// <summary>
/// Time to reopen a store holding many channels: the LiteDB file is filled once with active
/// channels (each with a fully signed latest state, its sign-once record and one history entry),
/// closed, then reopened and read back two ways: the store alone (open + read every record), and
/// what a restarting client does (<see cref="StateChannelClient.CreateAsync"/>, which also verifies
/// every stored signature: 3 recoveries per channel).
/// </summary>
internal static class Reopen
{
    public static async Task<(double OpenMs, double ClientMs, double ClientCpuMs)> MeasureAsync(int channels, ISecp256k1 secp256k1, TextWriter log)
    {
        var dir = Scratch.CreateDirectory("reopen");
        try
        {
            var path = Path.Combine(dir, "hub.db");
            using var me = PrivateKey.Create();
            using var peer = PrivateKey.Create();
            var domain = new Eip712Domain(31337, EthAddress.Parse("0x5fbdb2315678afecb367f032d93f642f64180aa3"));
            await FillAsync(path, channels, domain, me, peer).ConfigureAwait(false);

            // Caches warm alike for both figures: read the file once before timing.
            await ReadAllAsync(path).ConfigureAwait(false);
            var clock = Stopwatch.StartNew();
            var read = await ReadAllAsync(path).ConfigureAwait(false);
            var openMs = clock.Elapsed.TotalMilliseconds;

            clock.Restart();
            var cpu0 = Cpu();
            var loaded = 0;
            await using (var store = LiteDbChannelStore.Open(path))
            {
                var client = await StateChannelClient.CreateAsync(
                    new StateChannelClientOptions { Secp256k1 = secp256k1 }, new PrivateKeySigner(me), store, new NoChain(domain))
                    .ConfigureAwait(false);
                loaded = client.Channels.Count(c => c.Latest is not null);
                await client.DisposeAsync().ConfigureAwait(false);
            }

            var clientMs = clock.Elapsed.TotalMilliseconds;
            var clientCpuMs = Cpu() - cpu0;
            if (loaded != channels)
            {
                throw new InvalidOperationException($"reopen: {loaded} of {channels} channels verified as active");
            }

            log.WriteLine($"e2e reopen [{secp256k1.Name}]: {read} channels: store open + read {openMs:F0} ms; client create (verifies signatures) {clientMs:F0} ms, {clientCpuMs:F0} ms of CPU");
            return (openMs, clientMs, clientCpuMs);
        }
        finally
        {
            Scratch.Delete(dir);
        }
    }

    private static double Cpu()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalMilliseconds;
    }

    private static async Task<int> ReadAllAsync(string path)
    {
        await using var store = LiteDbChannelStore.Open(path);
        var n = 0;
        await foreach (var _ in store.GetChannelsAsync().ConfigureAwait(false))
        {
            n++;
        }

        return n;
    }

    private static async Task FillAsync(string path, int channels, Eip712Domain domain, PrivateKey me, PrivateKey peer)
    {
        // Native signing only makes filling fast; the signatures are the same bytes either way.
        ISecp256k1 fast = NativeBackend.TryLoad(out _) ? NativeBackend.Instance : ManagedSecp256k1.Instance;
        await using var store = LiteDbChannelStore.Open(path);
        var writes = new List<Task>(channels);
        for (var i = 0; i < channels; i++)
        {
            var p = new ChannelParams(me.Address, peer.Address, EthAddress.Zero, 3600, Hash32.CreateRandom(), Harness.ChannelFunding, Amount.Zero);
            var id = Eip712.ComputeChannelId(domain, p);
            var state = new ChannelState(id, 42, Harness.ChannelFunding - 42UL, 42UL, false);
            var digest = Eip712.HashState(domain, state);
            var mine = me.Sign(digest, fast);
            var full = new SignedState(state, mine, peer.Sign(digest, fast));
            var record = new ChannelRecord
            {
                Id = id,
                Params = p,
                Domain = domain,
                MyIndex = 0,
                Phase = ChannelPhase.Active,
                Latest = full,
                LastSigned = new SignIntent(state, digest, mine),
                UpdatedAt = DateTimeOffset.UtcNow,
            };
            writes.Add(store.WriteAsync(StoreBatch.Of(record, full)).AsTask());
            if (writes.Count >= 512)
            {
                await Task.WhenAll(writes).ConfigureAwait(false);
                writes.Clear();
            }
        }

        await Task.WhenAll(writes).ConfigureAwait(false);
    }

    /// <summary>The chain port for a client that only loads: nothing is sent.</summary>
    private sealed class NoChain(Eip712Domain domain) : IAdjudicator
    {
        public Eip712Domain Domain => domain;

        public ValueTask DepositAsync(ChannelParams channel, int index, Amount expectedHeld, Amount amount, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<OnChainChannel> GetChannelAsync(ChannelParams channel, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask CloseAsync(ChannelParams channel, SignedState finalState, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask RegisterAsync(ChannelParams channel, SignedState state, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask ConcludeAsync(ChannelParams channel, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask WithdrawAsync(EthAddress asset, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}

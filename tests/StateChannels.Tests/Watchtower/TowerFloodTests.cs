using System.Diagnostics;
using StateChannels.Testing;

namespace StateChannels.Tests.Watchtower;

/// <summary>
/// Second outside review: one client floods the tower with channels that do not exist on chain
/// (two keys of its own, any params, a state both of them signed: no deposit, no gas). The tower
/// accepts up to <see cref="WatchtowerOptions.MaxChannelsPerClient"/> (10,000 by default) per
/// client, any number of clients, and looks at channels one by one, one RPC each: an honest
/// client's dispute waits behind the whole pile. At 50 ms per RPC, 10,000 junk channels cost 500 s
/// per pass; eight keys exceed a one-hour challenge. Here: 1,500 junk channels at ~2 ms each.
/// </summary>
public sealed class TowerFloodTests
{
    private const int Junk = 1_500;
    private static readonly TimeSpan RpcLatency = TimeSpan.FromMilliseconds(2);
    private static readonly Eip712Domain Domain = new(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3"));

    private static SignedState Signed(ChannelParams p, ulong version, ulong balance0, PrivateKey k0, PrivateKey k1)
    {
        var state = new ChannelState(Eip712.ComputeChannelId(Domain, p), version, balance0, p.GetTotal() - new Amount(balance0), false);
        var digest = Eip712.HashState(Domain, state);
        return new SignedState(state, k0.Sign(digest), k1.Sign(digest));
    }

    private static async Task FloodAsync(WatchtowerService tower, PrivateKey m1, PrivateKey m2)
    {
        for (var i = 0; i < Junk; i++)
        {
            var p = new ChannelParams(m1.Address, m2.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 1, 1);
            var receipt = await tower.SubmitAsync(m1.Address, p, Signed(p, 1, 1, m1, m2));
            Assert.True(receipt.Accepted, receipt.Reason);
        }
    }

    /// <summary>How many chain reads the tower made after the registration before it refuted with <paramref name="expected"/>.</summary>
    private static async Task<long> LooksUntilRefutedAsync(SimulatedChain chain, SlowAdjudicator node, ChannelParams p, ulong expected)
    {
        var atRegistration = node.Reads;
        var clock = Stopwatch.StartNew();
        var view = chain.For(EthAddress.Parse("0x00000000000000000000000000000000000000aa"));
        // The bound is in chain reads; this wall-clock cap only ends a hang (a full CI run on 2 cores
        // slowed the 1,500 looks past 60 s once).
        while ((await view.GetChannelAsync(p)).RegisteredVersion != expected && clock.Elapsed < TimeSpan.FromSeconds(180))
        {
            await Task.Delay(5);
        }

        Assert.Equal(expected, (await view.GetChannelAsync(p)).RegisteredVersion);
        return node.Reads - atRegistration;
    }

    /// <summary>
    /// The bound: the look a registration's event triggers waits behind at most the slice under way
    /// and the next (<see cref="WatchtowerOptions.MaxLooksPerPass"/> each) plus the channel itself,
    /// never behind the whole pile. Counted in chain reads, not seconds (2 shared cores).
    /// </summary>
    private static readonly long Bound = (2 * new WatchtowerOptions().MaxLooksPerPass) + 10;

    /// <summary>
    /// Tower branch (G2 fix): every accepted new channel is marked due and looked at in the next pass,
    /// before the tower reads events again. A flood submitted while the tower runs delays the refute of
    /// an honest channel by the whole flood. (On main, where a new channel is not marked due, this
    /// attack is the restart one below.)
    /// </summary>
    [Fact]
    public async Task Tower_JunkChannelsHandedOverWhileRunning_HonestRefuteWaitsBehindThem()
    {
        var chain = new SimulatedChain(Domain);
        using var alice = PrivateKey.Create();
        using var bob = PrivateKey.Create();
        using var gas = PrivateKey.Create();
        using var m1 = PrivateKey.Create();
        using var m2 = PrivateKey.Create();
        var node = new SlowAdjudicator(chain.For(gas.Address));
        var tower = await WatchtowerService.CreateAsync(
            new WatchtowerOptions { ChainPollInterval = TimeSpan.FromMilliseconds(5) },
            new InMemoryChannelStore(), node, chain.Events, TimeProvider.System);
        var p = new ChannelParams(alice.Address, bob.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 1_000, 1_000);
        Assert.True((await tower.SubmitAsync(bob.Address, p, Signed(p, 9, 100, alice, bob))).Accepted);

        using var stop = new CancellationTokenSource();
        var run = tower.RunAsync(stop.Token);
        await Task.Delay(500); // the tower has looked at Bob's channel and polls idly
        await FloodAsync(tower, m1, m2);
        await Task.Delay(50); // a pass over the marked channels has begun

        await chain.For(alice.Address).RegisterAsync(p, Signed(p, 0, 1_000, alice, bob));
        var looks = await LooksUntilRefutedAsync(chain, node, p, 9);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(looks <= Bound, $"the tower made {looks} chain reads after the registration before refuting Bob's channel (bound {Bound}): it was looking at {Junk} junk channels first");
    }

    /// <summary>
    /// Main and tower branch: after a restart the tower looks at every held channel once before it
    /// reads any event, so a registration made meanwhile waits for the whole sweep over junk channels.
    /// </summary>
    [Fact]
    public async Task Tower_RestartedWithJunkChannels_HonestRefuteWaitsForTheSweep()
    {
        var chain = new SimulatedChain(Domain);
        using var alice = PrivateKey.Create();
        using var bob = PrivateKey.Create();
        using var gas = PrivateKey.Create();
        using var m1 = PrivateKey.Create();
        using var m2 = PrivateKey.Create();
        var store = new InMemoryChannelStore();
        var options = new WatchtowerOptions { ChainPollInterval = TimeSpan.FromMilliseconds(5) };
        var first = await WatchtowerService.CreateAsync(options, store, new SlowAdjudicator(chain.For(gas.Address)), chain.Events, TimeProvider.System);
        var p = new ChannelParams(alice.Address, bob.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 1_000, 1_000);
        Assert.True((await first.SubmitAsync(bob.Address, p, Signed(p, 9, 100, alice, bob))).Accepted);
        await FloodAsync(first, m1, m2);

        var node = new SlowAdjudicator(chain.For(gas.Address));
        var tower = await WatchtowerService.CreateAsync(options, store, node, chain.Events, TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var run = tower.RunAsync(stop.Token);
        await Task.Delay(100); // the catch-up sweep is under way
        await chain.For(alice.Address).RegisterAsync(p, Signed(p, 0, 1_000, alice, bob));
        var looks = await LooksUntilRefutedAsync(chain, node, p, 9);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(looks <= Bound, $"the restarted tower made {looks} chain reads after the registration before refuting Bob's channel (bound {Bound}): it swept {Junk} junk channels first");
    }

    /// <summary>
    /// Third review: the slices bound marked channels only. Every pass also looks at every Disputed
    /// channel, all of them, before the next event read (a read and a refused conclude each), on the
    /// assumption that registrations cost their maker gas and so are few. One client's junk channels
    /// (no deposit) registered on chain (one cheap transaction each, a 60 s floor to a year of
    /// challenge, here 3,600 s) stay Disputed until their deadline, and an honest client's refute then
    /// waits behind the whole pile on every pass; after the deadlines the tower also pays the gas to
    /// conclude every junk channel.
    /// </summary>
    [Fact]
    public async Task Tower_JunkChannelsRegisteredOnChain_EveryPassLooksAtAllOfThem_HonestRefuteWaitsBehindThem()
    {
        var chain = new SimulatedChain(Domain);
        using var alice = PrivateKey.Create();
        using var bob = PrivateKey.Create();
        using var gas = PrivateKey.Create();
        using var m1 = PrivateKey.Create();
        using var m2 = PrivateKey.Create();
        var node = new SlowAdjudicator(chain.For(gas.Address));
        var store = new InMemoryChannelStore();
        // Passes 300 ms apart, so the first read of a pass is known (node.PassGap): the registration
        // lands there, at the start of whatever the pass looks at, not at a random point of it.
        var tower = await WatchtowerService.CreateAsync(
            new WatchtowerOptions { ChainPollInterval = TimeSpan.FromMilliseconds(300) },
            store, node, chain.Events, TimeProvider.System);
        var p = new ChannelParams(alice.Address, bob.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 1_000, 1_000);
        Assert.True((await tower.SubmitAsync(bob.Address, p, Signed(p, 9, 100, alice, bob))).Accepted);

        // Mallory hands over her junk channels and registers each (the same state: nothing to refute).
        var junk = new List<ChannelId>();
        for (var i = 0; i < Junk; i++)
        {
            var q = new ChannelParams(m1.Address, m2.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 1, 1);
            var state = Signed(q, 1, 1, m1, m2);
            Assert.True((await tower.SubmitAsync(m1.Address, q, state)).Accepted);
            await chain.For(m1.Address).RegisterAsync(q, state);
            junk.Add(state.State.ChannelId);
        }

        using var stop = new CancellationTokenSource();
        var run = tower.RunAsync(stop.Token);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var disputed = 0;
            foreach (var id in junk)
            {
                disputed += (await store.GetChannelAsync(id))?.Phase == ChannelPhase.Disputed ? 1 : 0;
            }

            if (disputed == Junk)
            {
                break;
            }

            await Task.Delay(50);
        }

        var registered = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        node.PassGap = TimeSpan.FromMilliseconds(150);
        node.AtPassStart = async () =>
        {
            await chain.For(alice.Address).RegisterAsync(p, Signed(p, 0, 1_000, alice, bob));
            registered.SetResult(node.Reads);
        };
        var atRegistration = await registered.Task.WaitAsync(TimeSpan.FromSeconds(180));
        await LooksUntilRefutedAsync(chain, node, p, 9);
        var looks = node.Reads - atRegistration;
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(looks <= Bound, $"the tower made {looks} chain reads after the registration before refuting Bob's channel (bound {Bound}): every pass looks at all {Junk} registered junk channels");
    }

    /// <summary>An RPC node with a fixed latency on every view read (a real one: 20-100 ms).</summary>
    private sealed class SlowAdjudicator(IAdjudicator inner) : DelegatingAdjudicator(inner)
    {
        private long _reads;
        private long _lastRead = Stopwatch.GetTimestamp();

        public long Reads => Interlocked.Read(ref _reads);

        /// <summary>
        /// Run (once, then cleared) before the first read that follows a pause of at least
        /// <see cref="PassGap"/>: the first look of a tower pass, when its poll interval is longer.
        /// </summary>
        public Func<Task>? AtPassStart { get; set; }

        public TimeSpan PassGap { get; set; } = TimeSpan.MaxValue;

        public override async ValueTask<OnChainChannel> GetChannelAsync(ChannelParams channel, CancellationToken cancellationToken = default)
        {
            var previous = Interlocked.Exchange(ref _lastRead, Stopwatch.GetTimestamp());
            if (Stopwatch.GetElapsedTime(previous) >= PassGap && AtPassStart is { } hook)
            {
                AtPassStart = null;
                await hook();
            }

            Interlocked.Increment(ref _reads);
            await Task.Delay(RpcLatency, cancellationToken);
            return await Inner.GetChannelAsync(channel, cancellationToken);
        }
    }
}

using System.Diagnostics;
using System.Numerics;
using StateChannels.Integration.Tests.Lifecycle.Support;

namespace StateChannels.Integration.Tests.Lifecycle;

/// <summary>
/// The happy path end to end on a real anvil, in ETH and in the ERC-20 TestToken: Alice opens a
/// channel with Bob over TCP (both with LiteDB files), 1,000 payments go each way (concurrently,
/// so they coalesce and collide), Alice closes cooperatively, and every account on chain ends
/// exactly where the final state says, to the wei, after the gas each party paid.
/// </summary>
[Collection(LifecycleCollection.Name)]
public sealed class FullLifecycleTests(LifecycleChain chain, ITestOutputHelper output) : LifecycleTest(chain, output)
{
    private const int PaymentsEachWay = 1_000;
    private const int Concurrency = 16;

    [Fact]
    public Task Eth_ThousandPaymentsEachWayThenClose_PayoutsMatchFinalStateToTheWei() => RunAsync(EthAddress.Zero, "ETH");

    [Fact]
    public Task Erc20_ThousandPaymentsEachWayThenClose_PayoutsMatchFinalStateToTheWei() => RunAsync(Chain.Token, "ERC-20");

    private async Task RunAsync(EthAddress asset, string label)
    {
        var seed = Environment.TickCount;
        Output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var funding0 = 5 * LifecycleChain.Ether;
        var funding1 = 3 * LifecycleChain.Ether;
        var alice = await PartyAsync("alice", asset);
        var bob = await PartyAsync("bob", asset);
        if (asset != EthAddress.Zero)
        {
            await Chain.MintAsync(alice.Address, funding0);
            await Chain.MintAsync(bob.Address, funding1);
        }

        var start = await Chain.BlockNumberAsync();
        var before = await HoldingsAsync(asset, start, alice, bob);
        alice.StartWatcher();
        bob.StartWatcher();
        await ConnectAsync(alice, bob);

        var clock = Stopwatch.StartNew();
        var channel = await alice.Client.OpenChannelAsync(bob.Address, Amount.FromWei(funding0), Amount.FromWei(funding1));
        var funded = clock.Elapsed;
        await channel.PayAsync(Amount.FromWei(1));
        var firstPayment = clock.Elapsed;
        LifecycleFigures.RecordTime($"{label}: OpenChannelAsync to funded", funded);
        LifecycleFigures.RecordTime($"{label}: OpenChannelAsync to first completed payment", firstPayment);
        Output.WriteLine($"funded after {funded.TotalMilliseconds:F0} ms, first payment after {firstPayment.TotalMilliseconds:F0} ms");

        var bobChannel = bob.Client.GetChannel(channel.Id);
        await EventuallyAsync(() => bobChannel.Phase == ChannelPhase.Active, "Bob sees the channel funded");

        // 1,000 payments each way (Alice's first one above included), 16 in flight per side.
        var aliceAmounts = new[] { BigInteger.One }.Concat(Enumerable.Range(1, PaymentsEachWay - 1).Select(_ => (BigInteger)random.Next(1, 1_000_000))).ToArray();
        var bobAmounts = Enumerable.Range(0, PaymentsEachWay).Select(_ => (BigInteger)random.Next(1, 1_000_000)).ToArray();
        var payments = Stopwatch.StartNew();
        await Task.WhenAll(
            PayAllAsync(channel, aliceAmounts.Skip(1)),
            PayAllAsync(bobChannel, bobAmounts));
        LifecycleFigures.RecordTime($"{label}: 2,000 payments (1,000 each way, {Concurrency} in flight per side)", payments.Elapsed);
        var sentByAlice = aliceAmounts.Aggregate(BigInteger.Zero, (a, b) => a + b);
        var sentByBob = bobAmounts.Aggregate(BigInteger.Zero, (a, b) => a + b);
        var final0 = funding0 - sentByAlice + sentByBob;
        var final1 = funding1 + sentByAlice - sentByBob;
        await EventuallyAsync(() => bobChannel.Latest?.State.Version == channel.Latest?.State.Version, "both sides on the same version");
        Assert.Equal(Amount.FromWei(final0), channel.MyBalance);
        Assert.Equal(Amount.FromWei(final1), bobChannel.MyBalance);
        // The events tell the same story: every wei sent is reported once as sent and once as received.
        Assert.Equal(sentByAlice, Sum<PaymentSent>(alice, e => e.Amount));
        Assert.Equal(sentByBob, Sum<PaymentSent>(bob, e => e.Amount));
        await EventuallyAsync(() => Sum<PaymentReceived>(bob, e => e.Amount) == sentByAlice, "Bob's PaymentReceived events add up");
        await EventuallyAsync(() => Sum<PaymentReceived>(alice, e => e.Amount) == sentByBob, "Alice's PaymentReceived events add up");
        Output.WriteLine($"{2 * PaymentsEachWay} payments in {payments.Elapsed.TotalMilliseconds:F0} ms over {channel.Latest!.State.Version} versions");

        await channel.CloseAsync();
        Assert.Equal(ChannelPhase.Closed, channel.Phase);
        await EventuallyAsync(() => bobChannel.Phase == ChannelPhase.Closed, "Bob's watcher sees the channel concluded");
        await alice.WaitForEventAsync<ChannelClosed>(e => e.ChannelId == channel.Id, Patience);
        await bob.WaitForEventAsync<ChannelClosed>(e => e.ChannelId == channel.Id, Patience);

        var end = await Chain.BlockNumberAsync();
        var after = await HoldingsAsync(asset, end, alice, bob);
        var mined = await MinedSinceAsync(start + 1);
        Assert.All(mined, t => Assert.True(t.Succeeded, $"{t.Operation} reverted"));
        Assert.Single(mined, t => t.Operation.StartsWith("close", StringComparison.Ordinal));
        Assert.DoesNotContain(mined, t => t.Operation.StartsWith("register", StringComparison.Ordinal));
        await AssertSettledAsync(asset, before, after, mined, (alice, funding0, final0), (bob, funding1, final1));
    }

    private static BigInteger Sum<T>(LifecycleParty party, Func<T, Amount> amount)
        where T : ChannelEvent =>
        party.Events.OfType<T>().Aggregate(BigInteger.Zero, (sum, e) => sum + amount(e).ToBigInteger());

    private static async Task PayAllAsync(Channel channel, IEnumerable<BigInteger> amounts)
    {
        using var window = new SemaphoreSlim(Concurrency);
        var tasks = new List<Task>();
        foreach (var amount in amounts)
        {
            await window.WaitAsync();
            tasks.Add(PayOneAsync(channel, amount, window));
        }

        await Task.WhenAll(tasks);
    }

    private static async Task PayOneAsync(Channel channel, BigInteger amount, SemaphoreSlim window)
    {
        try
        {
            var receipt = await channel.PayAsync(Amount.FromWei(amount)).WaitAsync(Patience);
            Assert.Equal(Amount.FromWei(amount), receipt.Amount);
        }
        finally
        {
            window.Release();
        }
    }
}

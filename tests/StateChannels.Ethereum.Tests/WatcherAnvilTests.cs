using System.Numerics;
using StateChannels.Testing;

namespace StateChannels.Ethereum.Tests;

/// <summary>The event-driven watcher on anvil: downtime during a dispute is caught up from the durable cursor (B14).</summary>
public sealed class WatcherAnvilTests(AnvilFixture fx) : IClassFixture<AnvilFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Watcher_OfflineForPartOfTheChallengePeriod_RestartCatchesUpFromItsCursorAndRefutesInTime()
    {
        var store = new InMemoryChannelStore();
        using var aliceKey = PrivateKey.Create();
        await using var mallory = await AnvilParty.CreateAsync(fx, fx.Keys[2]);
        Channel channel;
        ulong cursor;
        await using (var alice = await AnvilParty.CreateAsync(fx, fx.Keys[1], store: store, key: aliceKey))
        {
            AnvilParty.Connect(alice, mallory);
            channel = await alice.Client.OpenChannelAsync(mallory.Address, 1_000, 1_000).WaitAsync(Limit);

            // Alice's watcher runs for a while: its cursor is durable.
            using (var stop = new CancellationTokenSource())
            {
                var run = alice.Client.RunWatcherAsync(stop.Token);
                await AnvilParty.WaitUntilAsync(async () => await store.GetCursorAsync(StateChannelClient.WatcherCursorName) is not null, Limit);
                await stop.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
            }

            cursor = (await store.GetCursorAsync(StateChannelClient.WatcherCursorName))!.Value;
            var m = mallory.Client.GetChannel(channel.Id);
            await AnvilParty.WaitUntilAsync(() => m.Phase == ChannelPhase.Active, Limit); // her own funding check may lag Alice's
            for (var i = 0; i < 10; i++)
            {
                await m.PayAsync(2).WaitAsync(Limit);
            }

            await AnvilParty.WaitUntilAsync(() => channel.Latest!.State.Version == 10, Limit);
        }

        // Alice is offline. Mallory registers version 0; half the challenge period passes.
        var v0 = await mallory.Store.GetStateAsync(channel.Id, 0);
        await mallory.Chain.RegisterAsync(channel.Params, v0!);
        await fx.Node.IncreaseTimeAsync(channel.Params.ChallengeDuration / 2);
        await fx.Node.MineAsync(3);

        // Alice comes back with the same store: her watcher catches up and refutes before the deadline.
        await using var back = await AnvilParty.CreateAsync(fx, fx.Keys[1], store: store, key: aliceKey);
        using var watcherStop = new CancellationTokenSource();
        var watcher = back.Client.RunWatcherAsync(watcherStop.Token);
        await AnvilParty.WaitUntilAsync(async () => (await back.Chain.GetChannelAsync(channel.Params)).RegisteredVersion == 10, Limit);
        await AnvilParty.WaitUntilAsync(async () => await store.GetCursorAsync(StateChannelClient.WatcherCursorName) > cursor, Limit);

        // After the deadline the watcher concludes: Alice gets her latest balance, to the wei.
        await fx.Node.IncreaseTimeAsync(channel.Params.ChallengeDuration);
        var restarted = back.Client.GetChannel(channel.Id);
        await AnvilParty.WaitUntilAsync(() => restarted.Phase == ChannelPhase.Closed, Limit);
        Assert.Equal(new BigInteger(1_020), await fx.BalanceAsync(aliceKey.Address));
        Assert.Equal(new BigInteger(980), await fx.BalanceAsync(mallory.Address));
        await watcherStop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);
    }
}

using Nethereum.Contracts;
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

    [Fact]
    public async Task Watcher_ReorgInsertsARegistrationIntoBlocksAlreadyProcessed_DetectsItRereadsAndRefutes()
    {
        await using var alice = await AnvilParty.CreateAsync(fx, fx.Keys[5]);
        await using var mallory = await AnvilParty.CreateAsync(fx, fx.Keys[6]);
        AnvilParty.Connect(alice, mallory);
        var channel = await alice.Client.OpenChannelAsync(mallory.Address, 1_000, 1_000).WaitAsync(Limit);
        var m = mallory.Client.GetChannel(channel.Id);
        await AnvilParty.WaitUntilAsync(() => m.Phase == ChannelPhase.Active, Limit);
        for (var i = 0; i < 10; i++)
        {
            await m.PayAsync(2).WaitAsync(Limit);
        }

        await AnvilParty.WaitUntilAsync(() => channel.Latest!.State.Version == 10, Limit);
        await fx.Node.MineAsync(3);
        using var stop = new CancellationTokenSource();
        var watcher = alice.Client.RunWatcherAsync(stop.Token);
        var head = await fx.Node.BlockNumberAsync();
        await AnvilParty.WaitUntilAsync(async () => await alice.Store.GetCursorAsync(StateChannelClient.WatcherCursorName) >= head, Limit);

        // The last two processed blocks are replaced; the new first one holds Mallory's registration
        // of version 0. No block follows: only reorg detection makes the watcher read those numbers again.
        var v0 = await mallory.Store.GetStateAsync(channel.Id, 0);
        var register = new Bindings.Adjudicator.RegisterFunction
        {
            P = Internal.AbiConvert.ToAbi(channel.Params),
            S = Internal.AbiConvert.ToAbi(v0!.State),
            Sig0 = v0.Sig0.ToArray(),
            Sig1 = v0.Sig1.ToArray(),
        };
        var tx = new System.Text.Json.Nodes.JsonObject
        {
            ["from"] = fx.Keys[6].Address.ToString(),
            ["to"] = fx.Adjudicator.ToString(),
            ["data"] = Internal.AbiConvert.ToHex(register.GetCallData()),
            ["gas"] = "0x7a120",
        };
        await fx.Node.RpcAsync("anvil_reorg", 2, new object[] { new object[] { tx, 0 } });
        Assert.Equal(head, await fx.Node.BlockNumberAsync());
        var registered = await mallory.Chain.GetChannelAsync(channel.Params);
        Assert.Equal(0UL, registered.RegisteredVersion);

        await AnvilParty.WaitUntilAsync(async () => (await alice.Chain.GetChannelAsync(channel.Params)).RegisteredVersion == 10, Limit);
        Assert.Equal(ChannelPhase.Disputed, channel.Phase);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);
    }
}

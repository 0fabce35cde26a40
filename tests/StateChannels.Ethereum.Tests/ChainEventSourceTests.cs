using System.Numerics;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;

namespace StateChannels.Ethereum.Tests;

/// <summary><see cref="EthereumChainEventSource"/> against the deployed adjudicator on anvil: events, depth, reorgs, malformed answers (E6).</summary>
public sealed class ChainEventSourceTests(AnvilFixture fx) : IClassFixture<AnvilFixture>, IDisposable
{
    private readonly PrivateKey _alice = PrivateKey.Create();
    private readonly PrivateKey _bob = PrivateKey.Create();

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
    }

    private EthereumChainEventSource Source(int depth = 1) => new(fx.RpcUrl, fx.Adjudicator, AnvilFixture.FastOptions(depth));

    [Fact]
    public async Task GetEventsAsync_DepositsAndRegister_ReturnsEachWithItsBlockHashAndLogIndex()
    {
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 100, 50);
        var id = Eip712.ComputeChannelId(fx.Domain, channel);
        var chain = await fx.ConnectAsync(fx.Keys[1]);
        var from = await fx.Node.BlockNumberAsync() + 1;
        await chain.DepositAsync(channel, 0, Amount.Zero, channel.Funding0);
        await chain.DepositAsync(channel, 1, Amount.Zero, channel.Funding1);
        var v0 = fx.SignBoth(ChannelState.Opening(id, channel), _alice, _bob);
        await chain.RegisterAsync(channel, v0);
        var head = await Source().GetHeadAsync();

        var events = (await Source().GetEventsAsync(from, head.ConfirmedNumber)).Where(e => e.ChannelId == id).ToList();

        Assert.Equal([AdjudicatorEventKind.Deposited, AdjudicatorEventKind.Deposited, AdjudicatorEventKind.Registered], events.Select(e => e.Kind));
        foreach (var e in events)
        {
            var block = await Source().GetBlockAsync(e.BlockNumber);
            Assert.Equal(block!.Hash, e.BlockHash);
            Assert.False(e.Removed);
        }

        Assert.True(events[0].BlockNumber < events[1].BlockNumber && events[1].BlockNumber < events[2].BlockNumber);
    }

    [Fact]
    public async Task GetHeadAsync_Depth3_ConfirmedIsTwoBelowTheHead()
    {
        await fx.Node.MineAsync(3);
        var head = await Source(depth: 3).GetHeadAsync();
        Assert.Equal(await fx.Node.BlockNumberAsync(), head.Head.Number);
        Assert.Equal(head.Head.Number - 2, head.ConfirmedNumber);
        var parent = await Source().GetBlockAsync(head.Head.Number - 1);
        Assert.Equal(parent!.Hash, head.Head.ParentHash);
        Assert.Null(await Source().GetBlockAsync(head.Head.Number + 1_000));
    }

    [Fact]
    public async Task AnvilReorg_RemovesADeposit_TheBlockHashChangesAndTheEventIsGone()
    {
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 100, 50);
        var id = Eip712.ComputeChannelId(fx.Domain, channel);
        var chain = await fx.ConnectAsync(fx.Keys[2]);
        await chain.DepositAsync(channel, 0, Amount.Zero, channel.Funding0);
        var number = await fx.Node.BlockNumberAsync();
        var before = await Source().GetBlockAsync(number);
        Assert.Contains(await Source().GetEventsAsync(number, number), e => e.ChannelId == id);

        await fx.Node.RpcAsync("anvil_reorg", 1, Array.Empty<object>());

        var after = await Source().GetBlockAsync(number);
        Assert.NotEqual(before!.Hash, after!.Hash);
        Assert.DoesNotContain(await Source().GetEventsAsync(number, await fx.Node.BlockNumberAsync()), e => e.ChannelId == id);
        Assert.Equal(Amount.Zero, (await chain.GetChannelAsync(channel)).Held0);
    }

    public static TheoryData<string> MalformedLogs => new()
    {
        "null", "other-address", "no-topics", "unknown-topic", "out-of-range", "no-block-hash", "no-log-index", "bad-channel-topic",
    };

    [Theory]
    [MemberData(nameof(MalformedLogs))]
    public void ToEvent_MalformedLog_ThrowsChainRpcFailure(string kind)
    {
        var deposited = "0x" + Convert.ToHexStringLower(Keccak.Hash("Deposited(bytes32,uint256,uint256)"u8).ToArray());
        var good = new FilterLog
        {
            Address = fx.Adjudicator.ToString(),
            Topics = [deposited, "0x" + new string('1', 64)],
            BlockNumber = new HexBigInteger(5),
            BlockHash = "0x" + new string('2', 64),
            LogIndex = new HexBigInteger(0),
        };
        Assert.Equal(AdjudicatorEventKind.Deposited, Source().ToEvent(good, 5, 5).Kind); // the baseline is accepted
        var log = kind switch
        {
            "null" => null,
            "other-address" => Mutate(good, l => l.Address = fx.Token.ToString()),
            "no-topics" => Mutate(good, l => l.Topics = [deposited]),
            "unknown-topic" => Mutate(good, l => l.Topics = ["0x" + new string('3', 64), "0x" + new string('1', 64)]),
            "out-of-range" => Mutate(good, l => l.BlockNumber = new HexBigInteger(new BigInteger(9))),
            "no-block-hash" => Mutate(good, l => l.BlockHash = null),
            "no-log-index" => Mutate(good, l => l.LogIndex = null),
            "bad-channel-topic" => Mutate(good, l => l.Topics = [deposited, "0x12"]),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var e = Assert.Throws<StateChannelException>(() => Source().ToEvent(log, 5, 5));
        Assert.Equal(ErrorCode.ChainRpcFailure, e.Code);
    }

    [Fact]
    public void ToEvent_RemovedLog_IsPassedOnFlagged()
    {
        var log = new FilterLog
        {
            Address = fx.Adjudicator.ToString(),
            Topics = ["0x" + Convert.ToHexStringLower(Keccak.Hash("Concluded(bytes32,uint64,uint256,uint256)"u8).ToArray()), "0x" + new string('1', 64)],
            BlockNumber = new HexBigInteger(5),
            BlockHash = "0x" + new string('2', 64),
            LogIndex = new HexBigInteger(3),
            Removed = true,
        };
        var e = Source().ToEvent(log, 5, 5);
        Assert.True(e.Removed);
        Assert.Equal(AdjudicatorEventKind.Concluded, e.Kind);
        Assert.Equal(3UL, e.LogIndex);
    }

    [Fact]
    public async Task GetEventsAsync_CancelledBefore_ThrowsOperationCanceled()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Source().GetEventsAsync(0, 1, cts.Token).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Source().GetHeadAsync(cts.Token).AsTask());
    }

    [Fact]
    public async Task GetHeadAsync_NodeDown_ThrowsChainRpcFailure()
    {
        var source = new EthereumChainEventSource(new Uri("http://127.0.0.1:1"), fx.Adjudicator, AnvilFixture.FastOptions());
        var e = await Assert.ThrowsAsync<StateChannelException>(() => source.GetHeadAsync().AsTask());
        Assert.Equal(ErrorCode.ChainRpcFailure, e.Code);
    }

    private static FilterLog Mutate(FilterLog good, Action<FilterLog> change)
    {
        var copy = new FilterLog
        {
            Address = good.Address,
            Topics = good.Topics,
            BlockNumber = good.BlockNumber,
            BlockHash = good.BlockHash,
            LogIndex = good.LogIndex,
        };
        change(copy);
        return copy;
    }
}

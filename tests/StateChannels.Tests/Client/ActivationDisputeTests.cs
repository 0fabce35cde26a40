using Microsoft.Extensions.Time.Testing;
using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// THREATS G1 (the outside review's finding 1): Mallory opens a channel in which Bob funds 0, takes
/// Bob's Accept on version 0, holds back her Confirm, registers version 0 on chain and deposits;
/// then confirms and "pays" Bob at version 1. Bob must never become Active nor sign a payment on a
/// channel the chain shows registered or concluded, and his watcher must still see it.
/// </summary>
public sealed class ActivationDisputeTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _blockTime = new(DateTimeOffset.UtcNow);
    private readonly SimulatedChain _chain;
    private readonly PrivateKey _mallory = PrivateKey.Create();
    private readonly CancellationTokenSource _stop = new();
    private Party _bob = null!;
    private EventLog _events = null!;
    private InMemoryConnection _wire = null!;
    private Task? _watcher;

    public ActivationDisputeTests() =>
        _chain = new SimulatedChain(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")), _blockTime);

    public async Task InitializeAsync()
    {
        _bob = await Party.CreateAsync("bob", _chain, clientTime: TimeProvider.System);
        _events = new EventLog(_bob.Client);
        var pair = InMemoryTransport.CreatePair(_mallory.Address, _bob.Address);
        _wire = pair.First;
        _bob.Serve(pair.Second);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_watcher is not null)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _watcher);
        }

        await _events.DisposeAsync();
        await _bob.DisposeAsync();
    }

    private SimulatedAdjudicator Mallory => _chain.For(_mallory.Address);

    private Task SendAsync(ProtocolMessage m) => _wire.SendAsync(MessageCodec.Encode(m)).AsTask();

    private Signature Sign(ChannelState s) => _mallory.Sign(Eip712.HashState(_chain.Domain, s));

    private async Task<T> ReceiveAsync<T>(ChannelId id)
        where T : ProtocolMessage
    {
        using var cts = new CancellationTokenSource(Limit);
        while (true)
        {
            var frame = await _wire.ReceiveAsync(cts.Token) ?? throw new InvalidOperationException("connection closed");
            if (MessageCodec.Decode(frame.Span) is T t && MessageCodec.ChannelOf(t) == id)
            {
                return t;
            }
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in time");
            await Task.Delay(5);
        }
    }

    /// <summary>Mallory (funding 100) opens with Bob (funding <paramref name="bobFunding"/>); Bob signs v0 and stays Proposed; she registers v0 and deposits.</summary>
    private async Task<(ChannelParams P, ChannelState V0)> RegisteredBeforeConfirmAsync(ulong bobFunding)
    {
        var p = new ChannelParams(_mallory.Address, _bob.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 100, bobFunding);
        var id = Eip712.ComputeChannelId(_chain.Domain, p);
        await SendAsync(new OpenRequest(p, _chain.Domain));
        var v0 = ChannelState.Opening(id, p);
        await SendAsync(new ProposeUpdate(v0, 0));
        var accept = await ReceiveAsync<AcceptUpdate>(id);
        Assert.Equal(ChannelPhase.Proposed, _bob.Client.GetChannel(id).Phase);

        await Mallory.RegisterAsync(p, new SignedState(v0, Sign(v0), accept.Signature));
        await Mallory.DepositAsync(p, 0, 0, 100);
        return (p, v0);
    }

    private void StartWatcher() => _watcher = _bob.Client.RunWatcherAsync(_stop.Token);

    /// <summary>Mallory confirms v0, then proposes v1 paying Bob 100: Bob must refuse it.</summary>
    private async Task ConfirmThenPayBobAsync(ChannelState v0)
    {
        await SendAsync(new ConfirmUpdate(v0.ChannelId, 0, Sign(v0)));
        var v1 = v0 with { Version = 1, Balance0 = v0.Balance0 - 100, Balance1 = v0.Balance1 + 100 };
        await SendAsync(new ProposeUpdate(v1, 0));
        var reject = await ReceiveAsync<RejectUpdate>(v0.ChannelId);
        Assert.Equal(1UL, reject.Version);
        Assert.Equal(ErrorCode.WrongPhase, reject.Code);
    }

    private async Task AssertNeverUsableAsync(ChannelId id)
    {
        var bob = _bob.Client.GetChannel(id);
        Assert.NotEqual(ChannelPhase.Active, bob.Phase);
        Assert.DoesNotContain(_events.Snapshot(), e => e is ChannelFunded f && f.ChannelId == id);
        var record = await _bob.Store.GetChannelAsync(id);
        Assert.Equal(0UL, record!.LastSigned!.State.Version); // Bob signed nothing above version 0
    }

    [Fact]
    public async Task Proposed_PeerRegistersV0_WatcherSeesItThenConfirmAndPaymentAreRefused_ConcludesAtV0()
    {
        StartWatcher();
        var (p, v0) = await RegisteredBeforeConfirmAsync(bobFunding: 0);

        // The watcher's cursor passes the registration while Bob is still Proposed: it must not skip him.
        await WaitUntilAsync(() => _bob.Client.GetChannel(v0.ChannelId).Phase == ChannelPhase.Disputed);
        await WaitUntilAsync(() => _events.Snapshot().Any(e => e is DisputeSeen d && d.ChannelId == v0.ChannelId));

        await ConfirmThenPayBobAsync(v0);
        await AssertNeverUsableAsync(v0.ChannelId);
        var pay = await Assert.ThrowsAsync<StateChannelException>(() => _bob.Client.GetChannel(v0.ChannelId).PayAsync(1));
        Assert.Equal(ErrorCode.WrongPhase, pay.Code);

        // After the deadline the watcher concludes: the payout is version 0's, the only state Bob signed.
        _blockTime.Advance(TimeSpan.FromSeconds(3601));
        await WaitUntilAsync(() => _bob.Client.GetChannel(v0.ChannelId).Phase == ChannelPhase.Closed);
        Assert.True((await Mallory.GetChannelAsync(p)).Concluded);
        Assert.Equal(new Amount(100), _chain.BalanceOf(_mallory.Address, EthAddress.Zero));
        Assert.Equal(Amount.Zero, _chain.BalanceOf(_bob.Address, EthAddress.Zero));
    }

    [Fact]
    public async Task Funding_RegisteredBeforeBobLooks_NoWatcher_NoDepositNeverActive()
    {
        // No watcher at all: the funding step's own look at the chain must apply the same rule.
        var (p, v0) = await RegisteredBeforeConfirmAsync(bobFunding: 50);
        await ConfirmThenPayBobAsync(v0);
        await WaitUntilAsync(() => _bob.Client.GetChannel(v0.ChannelId).Phase == ChannelPhase.Disputed);
        await AssertNeverUsableAsync(v0.ChannelId);

        // Bob deposits nothing into a channel that is already settling on chain.
        await Task.Delay(100);
        Assert.Equal(Amount.Zero, (await Mallory.GetChannelAsync(p)).Held1);
    }

    [Fact]
    public async Task Funding_DeadlinePassedAndConcludedBeforeConfirm_ClosedNeverActive()
    {
        var (p, v0) = await RegisteredBeforeConfirmAsync(bobFunding: 0);
        _blockTime.Advance(TimeSpan.FromSeconds(3601));
        await Mallory.ConcludeAsync(p);

        await ConfirmThenPayBobAsync(v0);
        await WaitUntilAsync(() => _bob.Client.GetChannel(v0.ChannelId).Phase == ChannelPhase.Closed);
        await AssertNeverUsableAsync(v0.ChannelId);
    }

    [Fact]
    public async Task Funding_BothDepositedButRegistered_ProposalRefusedNeverActive()
    {
        // Both deposits are on chain (Mallory pays Bob's share too: anyone may deposit for him), so
        // deposits alone would say "funded"; the registration must still keep the channel unusable,
        // whichever of Bob's funding loop or his responder path reads the chain first.
        var p = new ChannelParams(_mallory.Address, _bob.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 100, 50);
        var id = Eip712.ComputeChannelId(_chain.Domain, p);
        await SendAsync(new OpenRequest(p, _chain.Domain));
        var v0 = ChannelState.Opening(id, p);
        await SendAsync(new ProposeUpdate(v0, 0));
        var accept = await ReceiveAsync<AcceptUpdate>(id);
        await Mallory.DepositAsync(p, 1, 0, 50);
        await Mallory.DepositAsync(p, 0, 0, 100);
        await Mallory.RegisterAsync(p, new SignedState(v0, Sign(v0), accept.Signature));

        await SendAsync(new ConfirmUpdate(id, 0, Sign(v0)));
        var v1 = v0 with { Version = 1, Balance0 = 0, Balance1 = 150 };
        await SendAsync(new ProposeUpdate(v1, 0));
        var reject = await ReceiveAsync<RejectUpdate>(id);
        Assert.Equal(ErrorCode.WrongPhase, reject.Code);
        await WaitUntilAsync(() => _bob.Client.GetChannel(id).Phase == ChannelPhase.Disputed);
        await AssertNeverUsableAsync(id);
    }
}

using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// Issue 7 (memory per idle channel): a channel that waits for no answer holds no timer. The answer
/// timers themselves still fire when an answer is overdue: see
/// <see cref="ChannelScenarioTests.Responder_ConfirmNeverArrives_DropsConnectionAfterUpdateTimeoutThenConverges"/>
/// and <see cref="WithheldSignatureTests"/>.
/// </summary>
public sealed class IdleChannelTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly SimulatedChain _chain = new(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
    private readonly TimerCountingTimeProvider _aliceTime = new(TimeProvider.System);
    private readonly TimerCountingTimeProvider _bobTime = new(TimeProvider.System);
    private Party _alice = null!;
    private Party _bob = null!;

    public async Task InitializeAsync()
    {
        _alice = await Party.CreateAsync("alice", _chain, clientTime: _aliceTime);
        _bob = await Party.CreateAsync("bob", _chain, clientTime: _bobTime);
    }

    public async Task DisposeAsync()
    {
        await _alice.DisposeAsync();
        await _bob.DisposeAsync();
    }

    [Fact]
    public async Task AfterPaymentsBothWays_NeitherSideHoldsATimer()
    {
        Party.Connect(_alice, _bob);
        var a = await _alice.Client.OpenChannelAsync(_bob.Address, 1_000, 1_000).WaitAsync(Limit);
        var b = _bob.Client.GetChannel(a.Id);
        await WaitUntilAsync(() => b.Phase == ChannelPhase.Active);

        // Each side proposes (a proposal timer) and answers the other's proposal (a Confirm timer).
        for (var i = 0; i < 5; i++)
        {
            await a.PayAsync(3).WaitAsync(Limit);
            await b.PayAsync(1).WaitAsync(Limit);
        }

        await WaitUntilAsync(() => a.Latest!.State.Version == 10 && b.Latest!.State.Version == 10);
        Assert.True(_aliceTime.Created > 0 && _bobTime.Created > 0, "the answer timers were never started");

        // Idle now: every timer either side created has been disposed (the funding polls' delays and
        // the answer timers alike), so none is held for the rest of the update timeout.
        await WaitUntilAsync(() => _aliceTime.Live == 0 && _bobTime.Live == 0);
        Assert.Equal(a.Latest, b.Latest);
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

    /// <summary>A clock that counts the timers created through it and those not yet disposed.</summary>
    private sealed class TimerCountingTimeProvider(TimeProvider inner) : TimeProvider
    {
        private int _created;
        private int _live;

        public int Created => Volatile.Read(ref _created);

        public int Live => Volatile.Read(ref _live);

        public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

        public override long TimestampFrequency => inner.TimestampFrequency;

        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

        public override long GetTimestamp() => inner.GetTimestamp();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _created);
            Interlocked.Increment(ref _live);
            return new CountedTimer(inner.CreateTimer(callback, state, dueTime, period), this);
        }

        private sealed class CountedTimer(ITimer timer, TimerCountingTimeProvider owner) : ITimer
        {
            private int _disposed;

            public bool Change(TimeSpan dueTime, TimeSpan period) => timer.Change(dueTime, period);

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0)
                {
                    Interlocked.Decrement(ref owner._live);
                }

                timer.Dispose();
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}

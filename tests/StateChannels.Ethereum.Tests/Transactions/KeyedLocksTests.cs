using StateChannels.Ethereum.Internal;

namespace StateChannels.Ethereum.Tests.Transactions;

/// <summary>The per-operation locks of the transaction manager: one holder per key, and nothing kept once a key is let go.</summary>
public sealed class KeyedLocksTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Lock_ThenRelease_KeyForgotten()
    {
        var locks = new KeyedLocks();

        using (await locks.LockAsync("deposit/1", CancellationToken.None))
        {
            Assert.Equal(1, locks.Count);
        }

        Assert.Equal(0, locks.Count);
    }

    [Fact]
    public async Task SecondHolder_WaitsForTheFirst_OtherKeysDoNot()
    {
        var locks = new KeyedLocks();
        var first = await locks.LockAsync("a", CancellationToken.None);

        var second = locks.LockAsync("a", CancellationToken.None).AsTask();
        using (await locks.LockAsync("b", CancellationToken.None).AsTask().WaitAsync(Limit))
        {
            Assert.False(second.IsCompleted);
            Assert.False(locks.TryLock("a", out _));
        }

        first.Dispose();
        (await second.WaitAsync(Limit)).Dispose();
        Assert.Equal(0, locks.Count);
    }

    [Fact]
    public async Task TryLock_FreeKey_HeldUntilDisposed()
    {
        var locks = new KeyedLocks();

        Assert.True(locks.TryLock("a", out var held));
        var waiter = locks.LockAsync("a", CancellationToken.None).AsTask();
        Assert.False(waiter.IsCompleted);
        held.Dispose();
        (await waiter.WaitAsync(Limit)).Dispose();

        Assert.Equal(0, locks.Count);
    }

    [Fact]
    public async Task CancelledWaiter_LeavesNothingBehind()
    {
        var locks = new KeyedLocks();
        var held = await locks.LockAsync("a", CancellationToken.None);
        using var cancel = new CancellationTokenSource();

        var waiter = locks.LockAsync("a", cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter.WaitAsync(Limit));
        Assert.Equal(1, locks.Count);
        held.Dispose();

        Assert.Equal(0, locks.Count);
        Assert.True(locks.TryLock("a", out var again));
        again.Dispose();
    }
}

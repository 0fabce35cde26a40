using System.Collections.Concurrent;
using System.Numerics;
using StateChannels.Ethereum;

namespace StateChannels.Integration.Tests.Lifecycle.Support;

/// <summary>
/// A third party that front-runs every deposit of a victim (THREATS G4): its own funded anvil account
/// and <see cref="EthereumAdjudicator"/>, depositing for the victim's participant index just before
/// the victim's own deposit lands. <see cref="Wrap"/> gives the decorator a party's client uses.
/// </summary>
public sealed class Griefer : IAsyncDisposable
{
    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly ConcurrentDictionary<(ChannelId Channel, int Index), BigInteger> _landed = new();
    private int _attempts;

    private Griefer(PrivateKey key, EthereumAdjudicator chain)
    {
        Key = key;
        Chain = chain;
    }

    public PrivateKey Key { get; }

    public EthAddress Address => Key.Address;

    public EthereumAdjudicator Chain { get; }

    /// <summary>Front-running deposits attempted (landed or not).</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    public static async Task<Griefer> CreateAsync(LifecycleChain chain)
    {
        var key = PrivateKey.Parse(chain.NextFundedKey());
        var adjudicator = await EthereumAdjudicator.ConnectAsync(chain.Node.RpcUrl, chain.Adjudicator, key, LifecycleChain.FastOptions());
        return new Griefer(key, adjudicator);
    }

    /// <summary>What the griefer's deposits that landed credited to participant <paramref name="index"/> of <paramref name="channel"/>.</summary>
    public BigInteger LandedFor(ChannelId channel, int index) => _landed.GetValueOrDefault((channel, index));

    /// <summary>Everything the griefer's landed deposits put into the adjudicator.</summary>
    public BigInteger LandedTotal => _landed.Values.Aggregate(BigInteger.Zero, (a, b) => a + b);

    /// <summary>
    /// A decorator of a victim's adjudicator: each <c>DepositAsync(channel, index, expectedHeld, amount)</c>
    /// is preceded by the griefer's deposit of <paramref name="amount"/>(what the victim sends) for the
    /// same participant (mined first, with the holdings it reads), then forwarded unchanged, as a
    /// front-runner's transaction landing in between would do.
    /// </summary>
    public Func<IAdjudicator, IAdjudicator> Wrap(Func<Amount, Amount> amount) =>
        victim => new FrontRunning(victim, this, amount);

    public ValueTask DisposeAsync()
    {
        Key.Dispose();
        _one.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task FrontRunAsync(ChannelParams channel, int index, Amount amount, CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken);
        try
        {
            Interlocked.Increment(ref _attempts);
            var view = await Chain.GetChannelAsync(channel, cancellationToken);
            var held = index == 0 ? view.Held0 : view.Held1;
            try
            {
                await Chain.DepositAsync(channel, index, held, amount, cancellationToken);
                var id = Eip712.ComputeChannelId(Chain.Domain, channel);
                _landed.AddOrUpdate((id, index), amount.ToBigInteger(), (_, sum) => sum + amount.ToBigInteger());
            }
            catch (StateChannelException e) when (e.Code == ErrorCode.TransactionFailed)
            {
                // The contract refused the front-runner (e.g. a fix that accepts no third-party
                // deposit): it did not land, and the victim's deposit goes ahead as it would.
            }
        }
        finally
        {
            _one.Release();
        }
    }

    private sealed class FrontRunning(IAdjudicator inner, Griefer griefer, Func<Amount, Amount> amount) : IAdjudicator
    {
        public Eip712Domain Domain => inner.Domain;

        public async ValueTask DepositAsync(ChannelParams channel, int index, Amount expectedHeld, Amount victimAmount, CancellationToken cancellationToken = default)
        {
            await griefer.FrontRunAsync(channel, index, amount(victimAmount), cancellationToken);
            await inner.DepositAsync(channel, index, expectedHeld, victimAmount, cancellationToken);
        }

        public ValueTask<OnChainChannel> GetChannelAsync(ChannelParams channel, CancellationToken cancellationToken = default) =>
            inner.GetChannelAsync(channel, cancellationToken);

        public ValueTask CloseAsync(ChannelParams channel, SignedState finalState, CancellationToken cancellationToken = default) =>
            inner.CloseAsync(channel, finalState, cancellationToken);

        public ValueTask RegisterAsync(ChannelParams channel, SignedState state, CancellationToken cancellationToken = default) =>
            inner.RegisterAsync(channel, state, cancellationToken);

        public ValueTask ConcludeAsync(ChannelParams channel, CancellationToken cancellationToken = default) =>
            inner.ConcludeAsync(channel, cancellationToken);

        public ValueTask WithdrawAsync(EthAddress asset, CancellationToken cancellationToken = default) =>
            inner.WithdrawAsync(asset, cancellationToken);
    }
}

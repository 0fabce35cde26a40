using StateChannels;
using StateChannels.Net;
using StateChannels.Net.WebSockets;

namespace GameServer;

/// <summary>A player bot: its own key, LiteDB file, adjudicator account and TCP (or WebSocket) connection to the hub.</summary>
internal sealed class Player : IAsyncDisposable
{
    private readonly PrivateKey _key;
    private readonly IChannelStore _store;
    private readonly CancellationTokenSource _stop = new();
    private Task _connection = Task.CompletedTask;
    private long _paidWei;

    private Player(int number, PrivateKey key, IChannelStore store, StateChannelClient client)
    {
        Number = number;
        _key = key;
        _store = store;
        Client = client;
    }

    public int Number { get; }

    public StateChannelClient Client { get; }

    public EthAddress Address => _key.Address;

    public Channel Channel { get; private set; } = null!;

    /// <summary>What this player paid the hub (completed payments only).</summary>
    public Amount Paid => new((ulong)Interlocked.Read(ref _paidWei));

    public static async Task<Player> JoinAsync(
        int number, IGameChain chain, Hub hub, int players, string dataDir, CancellationToken cancellationToken)
    {
        var key = PrivateKey.Create();
        var adjudicator = await chain.NewAccountAsync(cancellationToken).ConfigureAwait(false);
        var store = Game.OpenStore(dataDir, $"player-{number}.db");
        var client = await StateChannelClient.CreateAsync(
            Game.ClientOptions(), new PrivateKeySigner(key), store, adjudicator, cancellationToken: cancellationToken).ConfigureAwait(false);
        IMessageConnection connection = hub.WebSocketAddress is { } webSocket
            ? await new WebSocketChannelDialer(new PrivateKeySigner(key), adjudicator.Domain, Transport.Options(players))
                .ConnectAsync(webSocket, hub.Address, cancellationToken).ConfigureAwait(false)
            : await new TcpChannelDialer(new PrivateKeySigner(key), adjudicator.Domain, Transport.Options(players))
                .ConnectAsync(hub.PeerAddress!, hub.Address, cancellationToken).ConfigureAwait(false);
        var player = new Player(number, key, store, client);
        player._connection = player.ServeAsync(connection);
        return player;
    }

    /// <summary>Opens the channel to the hub; completes when both deposits are confirmed.</summary>
    public async Task OpenAsync(EthAddress hub, Amount myFunding, Amount hubFunding, CancellationToken cancellationToken) =>
        Channel = await Client.OpenChannelAsync(hub, myFunding, hubFunding, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Plays until <paramref name="stop"/> is cancelled or the shared budget runs out: <paramref name="inFlight"/>
    /// loops, each paying <paramref name="price"/> per action and waiting for it to be durable.
    /// A payment under way when the game stops is finished, never abandoned.
    /// </summary>
    public Task PlayAsync(ulong price, int inFlight, Budget budget, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
        {
            await Task.Yield();
            while (!stop.IsCancellationRequested && budget.TryTake())
            {
                await Channel.PayAsync(price, CancellationToken.None).ConfigureAwait(false);
                Interlocked.Add(ref _paidWei, (long)price);
            }
        }));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Client.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _connection.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
        }

        await _store.DisposeAsync().ConfigureAwait(false);
        _key.Dispose();
        _stop.Dispose();
    }

    private async Task ServeAsync(IMessageConnection connection)
    {
        try
        {
            await Client.RunConnectionAsync(connection, _stop.Token).ConfigureAwait(false);
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>The total number of payments the players may still make (--payments), shared by all of them.</summary>
internal sealed class Budget(long? total)
{
    private long _left = total ?? long.MaxValue;

    public bool TryTake() => Interlocked.Decrement(ref _left) >= 0;
}

namespace StateChannels.Extensions.DependencyInjection;

/// <summary>
/// Gives the container's one <see cref="StateChannelClient"/>. The client is created asynchronously
/// (<c>StateChannelClient.CreateAsync</c> loads and verifies every stored channel), on the
/// first call or when the hosted service starts, whichever comes first; every caller gets the
/// same instance. Registered as a singleton by <c>AddStateChannels</c>; thread-safe.
/// </summary>
public interface IStateChannelClientProvider
{
    /// <summary>The client, created on the first call. A failed creation is not cached: the next call tries again.</summary>
    /// <param name="cancellationToken">Cancels this caller's wait (and a creation this call started).</param>
    /// <returns>The client; completes synchronously once it exists.</returns>
    /// <exception cref="InvalidOperationException">A port (signer, store, adjudicator) is neither registered nor configured.</exception>
    /// <exception cref="StateChannelException">The store or the chain failed while the client was created.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<StateChannelClient> GetClientAsync(CancellationToken cancellationToken = default);
}

using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using StateChannels.Protocol;

namespace StateChannels;

/// <summary>
/// Hands the messages of one connection to their channels without waiting for each to be handled,
/// so that one channel's durable write does not hold up the others' messages: the writes of many
/// channels then meet in the store's group commit. Per channel the order is kept (each message is
/// handled after the previous one of its channel has finished); across channels there is no order.
/// At most <see cref="MaxOutstanding"/> messages are in hand at once: beyond that the receive loop
/// waits, so a flooding peer meets backpressure, not unbounded memory. Used by the receive loop only
/// (<see cref="PostAsync"/> and <see cref="DrainAsync"/> are not called concurrently).
/// </summary>
internal sealed class ConnectionDispatcher(PeerSession session, ILogger logger)
{
    /// <summary>Messages handled at once per connection, at most.</summary>
    public const int MaxOutstanding = 1024;

    /// <summary>Each channel's last message in hand; an entry goes when its message is handled, so idle channels cost nothing here.</summary>
    private readonly ConcurrentDictionary<ChannelMachine, Task> _tails = new();
    private readonly SemaphoreSlim _slots = new(MaxOutstanding, MaxOutstanding);
    private ExceptionDispatchInfo? _fault;

    /// <summary>Queues <paramref name="message"/> behind the previous message of the same channel.</summary>
    public async ValueTask PostAsync(ChannelMachine machine, ProtocolMessage message, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        var previous = _tails.TryGetValue(machine, out var tail) && !tail.IsCompleted ? tail : null;
        var handled = HandleAfterAsync(previous, machine, message);
        _tails[machine] = handled;

        // Removes the entry only if no later message of the channel has replaced it meanwhile.
        _ = handled.ContinueWith(
            t => _tails.TryRemove(KeyValuePair.Create(machine, t)),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Waits until every message in hand is handled; returns the first unexpected failure of a handler (a bug), if any, for the caller to rethrow after its clean-up.</summary>
    public async Task<ExceptionDispatchInfo?> DrainAsync()
    {
        await Task.WhenAll(_tails.Values).ConfigureAwait(false);
        return Volatile.Read(ref _fault);
    }

    private async Task HandleAfterAsync(Task? previous, ChannelMachine machine, ProtocolMessage message)
    {
        try
        {
            if (previous is not null)
            {
                await previous.ConfigureAwait(false);
                previous = null; // no chain of handled messages kept alive through this one
            }

            await machine.HandleAsync(message, session).ConfigureAwait(false);
        }
        catch (StateChannelException e)
        {
            // A store or transport failure: this connection ends; channel state stays as durably stored.
            Log.ConnectionFailed(logger, session.Peer, e.Code, e.Message);
            session.Abort(e.Message);
        }
        catch (Exception e)
        {
            // A bug, not the peer's doing: end the connection and let RunConnectionAsync rethrow it.
            Interlocked.CompareExchange(ref _fault, ExceptionDispatchInfo.Capture(e), null);
            session.Abort("internal error");
        }
        finally
        {
            _slots.Release();
        }
    }
}

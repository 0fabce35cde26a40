using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using StateChannels.Protocol;

namespace StateChannels;

/// <summary>
/// Hands the messages of one connection to their channels without waiting for each to be handled,
/// so that one channel's durable write does not hold up the others' messages: the writes of many
/// channels then meet in the store's group commit. Per channel the order is kept: each channel has
/// an inbox, drained in order by one worker at a time; across channels there is no order. The
/// message being handled may take the next one waiting in its inbox (<see cref="IChannelInbox"/>), so
/// that a Confirm and the Propose right behind it share one durable write.
/// At most <see cref="MaxOutstanding"/> messages are in hand at once: beyond that the receive loop
/// waits, so a flooding peer meets backpressure, not unbounded memory. Used by the receive loop only
/// (<see cref="PostAsync"/> and <see cref="DrainAsync"/> are not called concurrently).
/// </summary>
internal sealed class ConnectionDispatcher(PeerSession session, ILogger logger)
{
    /// <summary>Messages handled at once per connection, at most.</summary>
    public const int MaxOutstanding = 1024;

    /// <summary>The inbox of each channel with messages in hand (also the lock of every inbox); an entry goes when its inbox is drained, so idle channels cost nothing here.</summary>
    private readonly Dictionary<ChannelMachine, Inbox> _inboxes = [];
    private readonly SemaphoreSlim _slots = new(MaxOutstanding, MaxOutstanding);
    private ExceptionDispatchInfo? _fault;

    /// <summary>Queues <paramref name="message"/> behind the previous messages of the same channel.</summary>
    public async ValueTask PostAsync(ChannelMachine machine, ProtocolMessage message, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        Inbox? idle = null;
        lock (_inboxes)
        {
            if (!_inboxes.TryGetValue(machine, out var inbox))
            {
                inbox = new Inbox(this, machine);
                _inboxes.Add(machine, inbox);
                idle = inbox;
            }

            inbox.Waiting.Enqueue(message);
        }

        if (idle is not null)
        {
            // A Confirm is handled off the receive loop: while its signature is checked the loop reads
            // on, so the peer's next Propose, sent right behind it, is usually in the inbox by the time
            // the machine decides whether to write at once or together with that Propose. Other
            // messages start in line (no thread hop), up to their first wait.
            idle.Run = message is ConfirmUpdate ? Task.Run(idle.RunAsync) : idle.RunAsync();
        }
    }

    /// <summary>Waits until every message in hand is handled; returns the first unexpected failure of a handler (a bug), if any, for the caller to rethrow after its clean-up.</summary>
    public async Task<ExceptionDispatchInfo?> DrainAsync()
    {
        Task[] running;
        lock (_inboxes)
        {
            running = [.. _inboxes.Values.Select(i => i.Run)];
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        return Volatile.Read(ref _fault);
    }

    /// <summary>One channel's messages in hand, oldest first, and the worker draining them.</summary>
    private sealed class Inbox(ConnectionDispatcher owner, ChannelMachine machine) : IChannelInbox
    {
        /// <summary>Messages not yet started, guarded by the owner's <c>_inboxes</c>.</summary>
        public Queue<ProtocolMessage> Waiting { get; } = new();

        /// <summary>The worker; set by <see cref="PostAsync"/> right after it starts it.</summary>
        public Task Run { get; set; } = Task.CompletedTask;

        /// <summary>Messages taken by the handler through <see cref="TryTakeNext{T}"/> since the worker last released slots.</summary>
        private int _taken;

        public bool TryTakeNext<T>([NotNullWhen(true)] out T? message)
            where T : ProtocolMessage
        {
            lock (owner._inboxes)
            {
                if (Waiting.TryPeek(out var next) && next is T wanted)
                {
                    Waiting.Dequeue();
                    _taken++;
                    message = wanted;
                    return true;
                }
            }

            message = null;
            return false;
        }

        public async Task RunAsync()
        {
            while (true)
            {
                ProtocolMessage message;
                lock (owner._inboxes)
                {
                    if (!Waiting.TryDequeue(out message!))
                    {
                        owner._inboxes.Remove(machine);
                        return;
                    }
                }

                await owner.HandleAsync(machine, message, this).ConfigureAwait(false);
                int taken;
                lock (owner._inboxes)
                {
                    taken = _taken;
                    _taken = 0;
                }

                owner._slots.Release(1 + taken);
            }
        }
    }

    /// <summary>Handles one message (and any the machine takes after it); never throws.</summary>
    private async Task HandleAsync(ChannelMachine machine, ProtocolMessage message, Inbox inbox)
    {
        try
        {
            await machine.HandleAsync(message, session, inbox).ConfigureAwait(false);
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
    }
}

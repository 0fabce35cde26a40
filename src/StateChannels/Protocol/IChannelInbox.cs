using System.Diagnostics.CodeAnalysis;

namespace StateChannels.Protocol;

/// <summary>
/// The messages of one connection already received for one channel and waiting behind the one
/// being handled (<see cref="ConnectionDispatcher"/>). Lets the handler take the next one and handle
/// it in the same step, e.g. to store a Confirm together with the Propose right behind it.
/// </summary>
internal interface IChannelInbox
{
    /// <summary>
    /// Takes the next waiting message if there is one and it is a <typeparamref name="T"/>. The caller
    /// must then handle it (in order, as if it had been dispatched): the dispatcher will not.
    /// </summary>
    bool TryTakeNext<T>([NotNullWhen(true)] out T? message)
        where T : ProtocolMessage;
}

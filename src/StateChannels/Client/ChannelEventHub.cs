using System.Collections.Immutable;
using Channels = System.Threading.Channels;

namespace StateChannels;

/// <summary>Fans events out to every current reader; a reader that falls behind loses its oldest events, never blocks the engine.</summary>
internal sealed class ChannelEventHub(int capacity)
{
    private ImmutableArray<Channels.Channel<ChannelEvent>> _readers = [];

    public void Publish(ChannelEvent e)
    {
        foreach (var reader in _readers)
        {
            reader.Writer.TryWrite(e);
        }
    }

    public async IAsyncEnumerable<ChannelEvent> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channels.Channel.CreateBounded<ChannelEvent>(new Channels.BoundedChannelOptions(capacity)
        {
            FullMode = Channels.BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        ImmutableInterlocked.Update(ref _readers, static (a, c) => a.Add(c), channel);
        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return e;
            }
        }
        finally
        {
            ImmutableInterlocked.Update(ref _readers, static (a, c) => a.Remove(c), channel);
        }
    }
}

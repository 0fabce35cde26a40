namespace StateChannels.Testing;

/// <summary>A record of one fault applied by an <see cref="InMemoryTransport"/> (print them with the seed when a test fails).</summary>
/// <param name="Kind">What was done.</param>
/// <param name="From">The sender of the frame.</param>
/// <param name="Index">The frame's <see cref="InMemoryFrame.Index"/>.</param>
public readonly record struct AppliedFault(FaultKind Kind, EthAddress From, long Index)
{
    /// <summary>E.g. <c>Dropped frame #3 from 0xAb…</c>.</summary>
    /// <returns>A readable description.</returns>
    public override string ToString() => $"{Kind} frame #{Index} from {From}";
}

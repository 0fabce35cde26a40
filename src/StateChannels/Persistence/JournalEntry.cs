namespace StateChannels;

/// <summary>One record of an <see cref="ITransactionJournal"/>.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The stored bytes (a copy the caller owns).</param>
public sealed record JournalEntry(string Key, byte[] Value);

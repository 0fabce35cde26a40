namespace StateChannels;

/// <summary>Argument checks shared by <see cref="ITransactionJournal"/> implementations.</summary>
public static class JournalKeys
{
    /// <summary>Throws the BCL's argument exception unless <paramref name="key"/> is a valid journal key.</summary>
    /// <exception cref="ArgumentException">The key is null, empty or longer than <see cref="ITransactionJournal.MaxKeyLength"/>.</exception>
    public static void Validate(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(key.Length, ITransactionJournal.MaxKeyLength, nameof(key));
    }

    /// <summary>Throws unless <paramref name="prefix"/> is a valid key prefix (may be empty).</summary>
    /// <exception cref="ArgumentException">The prefix is null or too long.</exception>
    public static void ValidatePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefix.Length, ITransactionJournal.MaxKeyLength, nameof(prefix));
    }

    /// <summary>Throws unless <paramref name="value"/> fits the journal.</summary>
    /// <exception cref="ArgumentException">The value is longer than <see cref="ITransactionJournal.MaxValueLength"/>.</exception>
    public static void ValidateValue(ReadOnlyMemory<byte> value) =>
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value.Length, ITransactionJournal.MaxValueLength, nameof(value));
}

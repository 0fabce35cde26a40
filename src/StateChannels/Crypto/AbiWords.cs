using System.Buffers.Binary;

namespace StateChannels;

/// <summary>Writes single 32-byte ABI words (<c>abi.encode</c> of static types: left-padded with zeros).</summary>
internal static class AbiWords
{
    public const int WordSize = 32;

    public static void WriteUInt64(Span<byte> word, ulong value)
    {
        word[..24].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(word[24..32], value);
    }

    public static void WriteAddress(Span<byte> word, EthAddress address)
    {
        word[..12].Clear();
        address.WriteTo(word[12..32]);
    }

    public static void WriteBool(Span<byte> word, bool value)
    {
        word[..31].Clear();
        word[31] = value ? (byte)1 : (byte)0;
    }

    public static void WriteHash(Span<byte> word, Hash32 value) => value.WriteTo(word);

    public static void WriteAmount(Span<byte> word, Amount value) => value.WriteUInt256(word);

    public static Span<byte> Word(Span<byte> buffer, int index) => buffer.Slice(index * WordSize, WordSize);
}

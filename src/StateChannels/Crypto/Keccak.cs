using System.Buffers.Binary;
using System.Numerics;

namespace StateChannels;

/// <summary>
/// Ethereum's Keccak-256 (the original Keccak padding <c>0x01</c>, not FIPS SHA3-256's <c>0x06</c>).
/// Allocation-free; thread-safe.
/// </summary>
public static class Keccak
{
    /// <summary>Size of a Keccak-256 digest in bytes.</summary>
    public const int HashSize = 32;

    private const int Rate = 136; // (1600 - 2 * 256) / 8

    private static ReadOnlySpan<ulong> RoundConstants =>
    [
        0x0000000000000001UL, 0x0000000000008082UL, 0x800000000000808aUL, 0x8000000080008000UL,
        0x000000000000808bUL, 0x0000000080000001UL, 0x8000000080008081UL, 0x8000000000008009UL,
        0x000000000000008aUL, 0x0000000000000088UL, 0x0000000080008009UL, 0x000000008000000aUL,
        0x000000008000808bUL, 0x800000000000008bUL, 0x8000000000008089UL, 0x8000000000008003UL,
        0x8000000000008002UL, 0x8000000000000080UL, 0x000000000000800aUL, 0x800000008000000aUL,
        0x8000000080008081UL, 0x8000000000008080UL, 0x0000000080000001UL, 0x8000000080008008UL,
    ];

    private static ReadOnlySpan<byte> Rotations => [1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44];

    private static ReadOnlySpan<byte> PiLanes => [10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1];

    /// <summary>Computes the Keccak-256 digest of <paramref name="data"/>.</summary>
    /// <param name="data">The bytes to hash.</param>
    /// <returns>The 32-byte digest.</returns>
    public static Hash32 Hash(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[HashSize];
        Hash(data, digest);
        return Hash32.FromBytes(digest);
    }

    /// <summary>Computes the Keccak-256 digest of <paramref name="data"/> into <paramref name="destination"/>.</summary>
    /// <param name="data">The bytes to hash.</param>
    /// <param name="destination">Receives the 32-byte digest; may overlap <paramref name="data"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 32 bytes.</exception>
    public static void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (destination.Length < HashSize)
        {
            throw new ArgumentException("The destination must hold 32 bytes.", nameof(destination));
        }

        Span<ulong> state = stackalloc ulong[25];
        state.Clear();
        while (data.Length >= Rate)
        {
            Absorb(state, data[..Rate]);
            data = data[Rate..];
        }

        Span<byte> last = stackalloc byte[Rate];
        last.Clear();
        data.CopyTo(last);
        last[data.Length] ^= 0x01;
        last[Rate - 1] ^= 0x80;
        Absorb(state, last);

        for (int i = 0; i < HashSize / 8; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination[(8 * i)..], state[i]);
        }
    }

    private static void Absorb(Span<ulong> state, ReadOnlySpan<byte> block)
    {
        for (int i = 0; i < Rate / 8; i++)
        {
            state[i] ^= BinaryPrimitives.ReadUInt64LittleEndian(block[(8 * i)..]);
        }

        Permute(state);
    }

    // Keccak-f[1600], as in the reference "tiny" implementation (theta, rho+pi, chi, iota).
    private static void Permute(Span<ulong> st)
    {
        Span<ulong> bc = stackalloc ulong[5];
        ReadOnlySpan<ulong> rc = RoundConstants;
        ReadOnlySpan<byte> rot = Rotations;
        ReadOnlySpan<byte> pi = PiLanes;
        for (int round = 0; round < 24; round++)
        {
            for (int i = 0; i < 5; i++)
            {
                bc[i] = st[i] ^ st[i + 5] ^ st[i + 10] ^ st[i + 15] ^ st[i + 20];
            }

            for (int i = 0; i < 5; i++)
            {
                ulong t = bc[(i + 4) % 5] ^ BitOperations.RotateLeft(bc[(i + 1) % 5], 1);
                for (int j = 0; j < 25; j += 5)
                {
                    st[j + i] ^= t;
                }
            }

            ulong carry = st[1];
            for (int i = 0; i < 24; i++)
            {
                int j = pi[i];
                ulong next = st[j];
                st[j] = BitOperations.RotateLeft(carry, rot[i]);
                carry = next;
            }

            for (int j = 0; j < 25; j += 5)
            {
                ulong a0 = st[j], a1 = st[j + 1], a2 = st[j + 2], a3 = st[j + 3], a4 = st[j + 4];
                st[j] = a0 ^ (~a1 & a2);
                st[j + 1] = a1 ^ (~a2 & a3);
                st[j + 2] = a2 ^ (~a3 & a4);
                st[j + 3] = a3 ^ (~a4 & a0);
                st[j + 4] = a4 ^ (~a0 & a1);
            }

            st[0] ^= rc[round];
        }
    }
}

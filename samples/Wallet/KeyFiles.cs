using System.Security.Cryptography;

namespace StateChannels.Samples.Wallet;

/// <summary>
/// Key files: one line, <c>0x</c> and 64 hex digits, readable by the owner only. A sample's
/// convenience; a real wallet keeps keys in an OS key store, an HSM or a hardware wallet.
/// </summary>
internal static class KeyFiles
{
    /// <summary>Loads the key in <paramref name="path"/>, or creates a new random key there first.</summary>
    /// <exception cref="ArgumentException">The file does not hold a valid key.</exception>
    public static PrivateKey LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            Create(path);
        }

        return Parse(ReadHex(path), path);
    }

    /// <summary>Writes a new random key to <paramref name="path"/> (which must not exist yet).</summary>
    public static void Create(string path)
    {
        Span<byte> secret = stackalloc byte[PrivateKey.Length];
        try
        {
            PrivateKey? key;
            do
            {
                RandomNumberGenerator.Fill(secret);
            }
            while (!PrivateKey.TryFromBytes(secret, out key)); // all but ~2^-128 of the draws are valid

            key.Dispose();
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var writer = new StreamWriter(path, options);
            writer.WriteLine(Hex.Encode(secret));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>The hex text of a key file.</summary>
    public static string ReadHex(string path) =>
        File.Exists(path) ? File.ReadAllText(path).Trim() : throw new ArgumentException($"key file {path} not found");

    /// <summary>Parses hex key text; <paramref name="source"/> names it in the error (never the key itself).</summary>
    public static PrivateKey Parse(string hex, string source) =>
        PrivateKey.TryParse(hex, out var key) ? key : throw new ArgumentException($"{source}: not a private key (0x and 64 hex digits)");
}

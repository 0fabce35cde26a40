namespace StateChannels.Net.Noise;

/// <summary>Why a BOLT 8 handshake act was refused (the failing cases of BOLT 8's test vectors).</summary>
internal enum NoiseError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The act is not exactly its size (50, 50 or 66 bytes).</summary>
    BadLength,

    /// <summary>The leading version byte is not 0.</summary>
    BadVersion,

    /// <summary>The public key in the act is not a compressed secp256k1 point.</summary>
    BadPublicKey,

    /// <summary>A MAC did not verify: the initiator does not know our static key, or the act was altered.</summary>
    BadTag,
}

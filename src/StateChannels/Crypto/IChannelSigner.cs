namespace StateChannels;

/// <summary>
/// The channel signing key, behind a narrow role (F1): it signs channel states and transport
/// handshakes in their own EIP-712 domains, and nothing else — never an arbitrary digest — so a
/// signature made for one purpose can never be used for another. Separate from the on-chain
/// transaction key. Implementations are thread-safe.
/// </summary>
public interface IChannelSigner
{
    /// <summary>The address of the signing key: our participant address.</summary>
    EthAddress Address { get; }

    /// <summary>Signs a state's EIP-712 digest (<see cref="Eip712.HashState"/>). The caller enforces sign-once.</summary>
    Signature SignState(Eip712Domain domain, ChannelState state);

    /// <summary>Signs a transport handshake (<see cref="Eip712.HashHandshake"/>): our answer to <paramref name="peer"/>'s challenge.</summary>
    Signature SignHandshake(Eip712Domain domain, Hash32 challenge, EthAddress peer);
}

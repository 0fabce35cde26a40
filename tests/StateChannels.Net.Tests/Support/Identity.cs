namespace StateChannels.Net.Tests.Support;

/// <summary>A party for transport tests: a fresh key, its signer, and the shared test domain.</summary>
internal sealed class Identity : IDisposable
{
    public static readonly Eip712Domain Domain = new(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3"));

    public Identity()
    {
        Key = PrivateKey.Create();
        Signer = new PrivateKeySigner(Key);
    }

    public PrivateKey Key { get; }

    public PrivateKeySigner Signer { get; }

    public EthAddress Address => Key.Address;

    /// <summary>An honest answer to <paramref name="challenge"/> sent by <paramref name="verifier"/>.</summary>
    public Signature Answer(Hash32 challenge, EthAddress verifier, Eip712Domain? domain = null) =>
        Key.Sign(Eip712.HashHandshake(domain ?? Domain, challenge, verifier));

    public void Dispose() => Signer.Dispose();
}

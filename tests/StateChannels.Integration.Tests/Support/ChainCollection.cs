namespace StateChannels.Integration.Tests.Support;

/// <summary>Every test shares the one chain, and runs alone: they are process- and CPU-heavy.</summary>
[CollectionDefinition(Name)]
public sealed class ChainCollection : ICollectionFixture<ChainFixture>
{
    public const string Name = "chain";
}

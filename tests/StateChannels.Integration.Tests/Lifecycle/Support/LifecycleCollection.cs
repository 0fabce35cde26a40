namespace StateChannels.Integration.Tests.Lifecycle.Support;

/// <summary>The lifecycle tests share one anvil (with the token) and run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class LifecycleCollection : ICollectionFixture<LifecycleChain>
{
    public const string Name = "lifecycle";
}

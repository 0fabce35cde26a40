namespace StateChannels.Integration.Tests.Lifecycle.Support;

/// <summary>The security-finding tests: one anvil of their own (fresh funded accounts), one test at a time.</summary>
[CollectionDefinition(Name)]
public sealed class SecurityCollection : ICollectionFixture<LifecycleChain>
{
    public const string Name = "security findings";
}

using System.Reflection;

namespace StateChannels.Samples.Tests;

/// <summary>Where the built samples are (recorded at build time by the csproj).</summary>
internal static class SamplePaths
{
    /// <summary>samples/PaymentDemo's built PaymentDemo.dll; Wallet.dll is in the same folder.</summary>
    public static string PaymentDemoDll { get; } = typeof(SamplePaths).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "PaymentDemoDll").Value!;

    public static string WalletDll => Path.Combine(Path.GetDirectoryName(PaymentDemoDll)!, "Wallet.dll");

    /// <summary>The dotnet host running the tests.</summary>
    public static string Dotnet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}

namespace StateChannels.Integration.Tests.Lifecycle.Support;

/// <summary>
/// Sets <c>StateChannelClientOptions.MinChallengeDuration</c> and <c>MaxChallengeDuration</c> (THREATS G3)
/// while the fix that adds them has not landed: by name, so the tests compile against the code before
/// the fix and fail there for the behaviour, not the build. The values the tests pass for the
/// responder equal the documented defaults (1 hour, 7 days), so a build without the properties runs
/// the same scenario. To be replaced by plain assignments once the properties exist.
/// </summary>
public static class ChallengeBounds
{
    public static void Set(StateChannelClientOptions options, TimeSpan min, TimeSpan max, ITestOutputHelper output)
    {
        foreach (var (name, value) in new[] { ("MinChallengeDuration", min), ("MaxChallengeDuration", max) })
        {
            var property = typeof(StateChannelClientOptions).GetProperty(name);
            if (property is null)
            {
                output.WriteLine($"StateChannelClientOptions.{name} does not exist in this build (the G3 fix is not merged)");
                continue;
            }

            property.SetValue(options, value);
        }
    }
}

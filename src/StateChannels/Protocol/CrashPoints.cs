using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace StateChannels.Protocol;

/// <summary>
/// Test hook for the process-kill tests (THREATS C1-C8): named points of the protocol and of the
/// Ethereum adapter's transaction manager at which a process can be made to die at once, as under <c>kill -9</c>. Inert unless the environment
/// variable <see cref="EnvironmentVariable"/> names a point as <c>name</c> or <c>name:n</c> (die at
/// its n-th hit, 1-based; default 1). The variable is read once; when it is unset
/// <see cref="Hit"/> is a test of a static readonly field the JIT folds away.
/// </summary>
internal static class CrashPoints
{
    /// <summary>The variable that arms one crash point: <c>name</c> or <c>name:n</c>.</summary>
    public const string EnvironmentVariable = "STATECHANNELS_CRASH_AT";

    /// <summary>Responder: its sign intent is durable, its Accept not yet sent.</summary>
    public const string ResponderIntentDurable = "responder.intent-durable";

    /// <summary>Responder: Accept handed to the connection.</summary>
    public const string ResponderAcceptSent = "responder.accept-sent";

    /// <summary>Proposer: the peer's signature received and verified, nothing stored yet.</summary>
    public const string ProposerAcceptReceived = "proposer.accept-received";

    /// <summary>Proposer: the fully signed state is durable, Confirm not yet sent, no payment reported.</summary>
    public const string ProposerStored = "proposer.stored";

    /// <summary>Responder: the proposer's Confirm received and verified, not yet stored.</summary>
    public const string ResponderConfirmReceived = "responder.confirm-received";

    /// <summary>We lost a simultaneous proposal's tie-break: ours dropped, the winner's not yet answered.</summary>
    public const string ProposerLostTie = "proposer.lost-tie";

    /// <summary>Funding: version 0 is durable, our deposit not yet sent.</summary>
    public const string FundingV0Durable = "funding.v0-durable";

    /// <summary>Funding: our deposit returned from the chain port, the channel not yet active.</summary>
    public const string FundingDeposited = "funding.deposited";

    /// <summary>Transaction manager (StateChannels.Ethereum): signed and durable in the journal, not yet broadcast.</summary>
    public const string TxJournaled = "tx.journaled";

    /// <summary>Transaction manager (StateChannels.Ethereum): the node accepted the transaction; its receipt not yet awaited.</summary>
    public const string TxBroadcast = "tx.broadcast";

    private static readonly string? Target = Parse(Environment.GetEnvironmentVariable(EnvironmentVariable), out TargetHit);
    private static readonly long TargetHit;
    private static long _hits;

    /// <summary>Kills the process if <paramref name="name"/> is the armed point and this is its armed hit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Hit(string name)
    {
        if (Target is not null)
        {
            HitArmed(name);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void HitArmed(string name)
    {
        if (!string.Equals(name, Target, StringComparison.Ordinal) || Interlocked.Increment(ref _hits) != TargetHit)
        {
            return;
        }

        Console.Error.WriteLine($"{EnvironmentVariable}: killing the process at {name} (hit {TargetHit})");
        using (var self = Process.GetCurrentProcess())
        {
            self.Kill(); // SIGKILL: no finally blocks, no flushes, no disposal.
        }

        Environment.FailFast($"{EnvironmentVariable}: {name}");
    }

    private static string? Parse(string? value, out long hit)
    {
        hit = 1;
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var colon = value.LastIndexOf(':');
        if (colon > 0 && long.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1)
        {
            hit = n;
            return value[..colon].Trim();
        }

        return value.Trim();
    }
}

namespace StateChannels.Protocol;

/// <summary>
/// Named points of the protocol and of the Ethereum adapter's transaction manager, for the
/// process-kill tests (THREATS C1-C8): a fault-injection seam. <see cref="OnHit"/> is null in every
/// shipped use, and <see cref="Hit"/> then only tests a field; the test hosts (tests/StateChannels.PeerHost,
/// tests/StateChannels.TxHost) set it to kill their own process at one point, as under <c>kill -9</c>.
/// The library reads no environment variable and kills nothing.
/// </summary>
internal static class CrashPoints
{
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

    /// <summary>Called at every point with its name when set: by test hosts only (InternalsVisibleTo).</summary>
    internal static Action<string>? OnHit { get; set; }

    /// <summary>Reports reaching <paramref name="name"/> to <see cref="OnHit"/>, if a test host set it.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static void Hit(string name) => OnHit?.Invoke(name);
}

using Microsoft.Extensions.Logging;

namespace StateChannels;

/// <summary>Verifies a channel record loaded from a store before the engine trusts it (DESIGN.md section 6).</summary>
internal static class RecordVerifier
{
    /// <summary>
    /// Returns the record if its id, states and signatures verify; otherwise the record without the
    /// untrusted latest state and marked fallen-behind, so the channel syncs from the peer and never
    /// disputes with it. The sign-once record is kept whenever its own signature is ours: refusing to
    /// sign again at its version is always safe.
    /// </summary>
    public static ChannelRecord Verify(ChannelRecord record, EthAddress me, ILogger logger) =>
        Verify(record, me, ManagedSecp256k1.Instance, logger);

    /// <inheritdoc cref="Verify(ChannelRecord, EthAddress, ILogger)"/>
    public static ChannelRecord Verify(ChannelRecord record, EthAddress me, ISecp256k1 secp256k1, ILogger logger)
    {
        var (why, latestVerified) = Check(record, me, secp256k1);
        if (why is null)
        {
            return record;
        }

        Log.StoredStateInvalid(logger, record.Id, why);

        // Only the sign-once record failed: the latest state verified on its own (both signatures),
        // so keep it for refuting a lower registration (a fallen-behind copy refutes, never starts
        // a dispute); drop only what did not verify.
        return record with { Latest = latestVerified ? record.Latest : null, FallenBehind = true };
    }

    /// <summary>
    /// The sign-once record is our signature on the latest state, which <see cref="Check"/> has just
    /// verified as ours (same digest, same bytes, same signer): no second recovery needed. The usual
    /// case after a completed update, and it saves a third of the load time.
    /// </summary>
    private static bool SameAsVerifiedLatest(ChannelRecord r, SignIntent intent) =>
        r.Latest is { } full && full.State == intent.State && full.SignatureOf(r.MyIndex) == intent.Signature;

    /// <summary>Why the record cannot be trusted (null if it can), and whether its latest state verified on its own.</summary>
    private static (string? Why, bool LatestVerified) Check(ChannelRecord r, EthAddress me, ISecp256k1 secp256k1)
    {
        if (Eip712.ComputeChannelId(r.Domain, r.Params) != r.Id)
        {
            return ("channel id does not match its params", false);
        }

        if (r.MyIndex is not (0 or 1) || (r.MyIndex == 0 ? r.Params.Participant0 : r.Params.Participant1) != me)
        {
            return ("we are not the participant the record says", false);
        }

        if (r.Latest is { } full)
        {
            var digest = Eip712.HashState(r.Domain, full.State);
            if (full.State.ChannelId != r.Id
                || !Ecdsa.Verify(secp256k1, digest, full.Sig0, r.Params.Participant0)
                || !Ecdsa.Verify(secp256k1, digest, full.Sig1, r.Params.Participant1))
            {
                return ($"latest state (version {full.State.Version}) is not signed by both participants", false);
            }
        }

        if (r.LastSigned is { } intent
            && (Eip712.HashState(r.Domain, intent.State) != intent.Digest
                || (!SameAsVerifiedLatest(r, intent) && !Ecdsa.Verify(secp256k1, intent.Digest, intent.Signature, me))))
        {
            return ("sign-once record does not verify", true);
        }

        return (null, true);
    }
}

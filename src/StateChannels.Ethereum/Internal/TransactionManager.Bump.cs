using System.Numerics;
using Nethereum.RPC.Eth.DTOs;

namespace StateChannels.Ethereum.Internal;

/// <content>Fee bumps: replacing a stuck transaction at its nonce, and the predecessors that block it.</content>
internal sealed partial class TransactionManager
{
    /// <summary>
    /// Replaces the current attempt by one at the same nonce with higher fees (journaled first). Returns
    /// the record to go on with and the time to wait before the next bump.
    /// </summary>
    private async Task<(TxRecord Record, TimeSpan NextBump)> BumpAsync(TxRecord record, CancellationToken cancellationToken)
    {
        var (fresh, chainTime) = await SuggestFeesAsync(cancellationToken).ConfigureAwait(false);
        var remaining = record.Deadline - chainTime;
        var next = FeePolicy.BumpInterval(remaining, _options.FeeBumpInterval, _options.PollInterval);
        var cap = _options.MaxFeePerGas.ToBigInteger();
        await BumpPredecessorsAsync(record, fresh, remaining, cancellationToken).ConfigureAwait(false);
        var fees = FeePolicy.Bump(record.Latest.Fees, fresh, remaining, _options.FeeBumpInterval, cap);
        if (fees is not { } bumped || record.Attempts.Count >= TxRecordCodec.MaxAttempts)
        {
            Log.BumpAtCap(_options.Logger, record.Operation, record.Latest.Hash.ToString(), (ulong)BigInteger.Min(cap, ulong.MaxValue));
            return (record, next);
        }

        var latest = record.Latest;
        var attempt = Sign(latest.Nonce, bumped, record.GasLimit, record.To, record.Value, record.Data);
        var candidate = record with { Attempts = [.. record.Attempts, attempt] };
        await SaveAsync(candidate).ConfigureAwait(false);
        Signed?.Invoke(record.Operation, attempt);
        var outcome = await BroadcastAsync(record.Operation, attempt).ConfigureAwait(false);
        if (outcome.Kind is BroadcastKind.Accepted or BroadcastKind.Unknown)
        {
            Log.Replaced(
                _options.Logger, record.Operation, latest.Hash.ToString(), attempt.Hash.ToString(), attempt.Nonce,
                bumped.MaxFeePerGas.ToString(System.Globalization.CultureInfo.InvariantCulture),
                bumped.MaxPriorityFeePerGas.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return (candidate, next);
        }

        // Refused, so it can never be mined: forget it. A nonce taken by someone else shows up in the
        // next keep-alive (the node no longer knows our transaction) and is handled there.
        Log.ReplacementRefused(_options.Logger, record.Operation, attempt.Hash.ToString(), outcome.Message ?? outcome.Kind.ToString());
        await SaveAsync(record).ConfigureAwait(false);
        return (record, next);
    }

    /// <summary>
    /// Our transaction cannot be mined before every lower nonce of the account is. Our own unmined
    /// predecessors whose callers are not waiting for them (cancelled, timed out, or from before a
    /// restart) would block it however high we bid, so they are bumped along, with our urgency.
    /// A predecessor whose caller is waiting (its key is busy) is left to that caller.
    /// </summary>
    private async Task BumpPredecessorsAsync(TxRecord record, Fees fresh, TimeSpan? remaining, CancellationToken cancellationToken)
    {
        var mined = await TransactionCountAsync(BlockParameter.CreateLatest(), cancellationToken).ConfigureAwait(false);
        if (record.Latest.Nonce <= mined)
        {
            return;
        }

        var cap = _options.MaxFeePerGas.ToBigInteger();
        await foreach (var entry in _journal.GetEntriesAsync(_prefix, cancellationToken).ConfigureAwait(false))
        {
            var listed = TxRecordCodec.Decode(entry.Value, entry.Key[_prefix.Length..]);
            if (listed.Status != TxStatus.Pending || listed.Key == record.Key || listed.Latest.Nonce < mined || listed.Latest.Nonce >= record.Latest.Nonce)
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (!KeyLocks.TryLock(entry.Key, out var gate))
            {
                continue;
            }

            try
            {
                var other = await LoadAsync(entry.Key, cancellationToken).ConfigureAwait(false);
                if (other is not { Status: TxStatus.Pending } || other.Attempts.Count >= TxRecordCodec.MaxAttempts
                    || await FindReceiptAsync(other, cancellationToken).ConfigureAwait(false) is not null
                    || FeePolicy.Bump(other.Latest.Fees, fresh, remaining, _options.FeeBumpInterval, cap) is not { } fees)
                {
                    continue;
                }

                var attempt = Sign(other.Latest.Nonce, fees, other.GasLimit, other.To, other.Value, other.Data);
                var candidate = other with { Attempts = [.. other.Attempts, attempt] };
                await SaveAsync(candidate).ConfigureAwait(false);
                Signed?.Invoke(other.Operation, attempt);
                var outcome = await BroadcastAsync(other.Operation, attempt).ConfigureAwait(false);
                if (outcome.Kind is BroadcastKind.Accepted or BroadcastKind.Unknown)
                {
                    Log.Replaced(
                        _options.Logger, other.Operation, other.Latest.Hash.ToString(), attempt.Hash.ToString(), attempt.Nonce,
                        fees.MaxFeePerGas.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        fees.MaxPriorityFeePerGas.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
                else
                {
                    Log.ReplacementRefused(_options.Logger, other.Operation, attempt.Hash.ToString(), outcome.Message ?? outcome.Kind.ToString());
                    await SaveAsync(other).ConfigureAwait(false);
                }
            }
            finally
            {
                gate.Dispose();
            }
        }
    }
}

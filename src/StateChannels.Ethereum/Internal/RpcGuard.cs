using System.Text.RegularExpressions;
using Nethereum.ABI.FunctionEncoding;
using Nethereum.Contracts;
using Nethereum.JsonRpc.Client;
using Polly;

namespace StateChannels.Ethereum.Internal;

/// <summary>
/// Runs one JSON-RPC request and maps what Nethereum throws onto the SDK's exception family:
/// transport failures, time-outs, node errors and malformed answers become
/// <see cref="ErrorCode.ChainRpcFailure"/>; an EVM revert becomes <see cref="ErrorCode.TransactionFailed"/>
/// named after its custom error (<see cref="RevertDecoder"/>). Cancellation by the caller's token
/// stays an <see cref="OperationCanceledException"/>.
/// </summary>
internal static partial class RpcGuard
{
    // EIP-1474 "transaction rejected", and the generic server error geth and others use for
    // "insufficient funds", "nonce too low", "replacement transaction underpriced" ...
    private const int TransactionRejected = -32003;
    private const int ServerError = -32000;

    /// <summary>Runs <paramref name="request"/>, abandoning the wait (not the request) when <paramref name="cancellationToken"/> fires.</summary>
    public static Task<T> CallAsync<T>(string what, Func<Task<T>> request, CancellationToken cancellationToken) =>
        CallAsync(what, request, transaction: false, cancellationToken);

    /// <summary>
    /// Like <see cref="CallAsync{T}(string, Func{Task{T}}, CancellationToken)"/>; with
    /// <paramref name="transaction"/> (gas estimation and sending), a node's refusal of the
    /// transaction itself is <see cref="ErrorCode.TransactionFailed"/> rather than an RPC failure.
    /// </summary>
    public static Task<T> CallAsync<T>(string what, Func<Task<T>> request, bool transaction, CancellationToken cancellationToken) =>
        CallAsync(what, ResiliencePipeline.Empty, request, transaction, cancellationToken);

    /// <summary>
    /// Like <see cref="CallAsync{T}(string, Func{Task{T}}, bool, CancellationToken)"/>, through
    /// <paramref name="pipeline"/> (<see cref="RpcPipeline"/>): only for idempotent requests.
    /// </summary>
    public static async Task<T> CallAsync<T>(
        string what, ResiliencePipeline pipeline, Func<Task<T>> request, bool transaction, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return await pipeline.ExecuteAsync(
                static async (state, token) => await state().WaitAsync(token).ConfigureAwait(false), request, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RpcResponseException e) when (transaction && e.RpcError?.Code is TransactionRejected or ServerError && !IsRevert(e.RpcError))
        {
            var exception = new StateChannelException(
                ErrorCode.TransactionFailed, $"Rejected: {what}: the node refused the transaction: {e.RpcError.Message}", e);
            exception.Data[EthereumAdjudicator.RevertErrorDataKey] = "Rejected";
            throw exception;
        }
        catch (Exception e) when (Map(what, e, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>
    /// The SDK exception for <paramref name="e"/>, or null to let it propagate unchanged (our own
    /// exceptions and cancellation by the caller). Anything else thrown inside an RPC call, even an
    /// <see cref="ArgumentException"/> from decoding a malformed answer, is the node's failure.
    /// </summary>
    public static StateChannelException? Map(string what, Exception e, CancellationToken cancellationToken)
    {
        switch (e)
        {
            case StateChannelException:
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
                return null;
            case SmartContractCustomErrorRevertException custom:
                return Reverted(what, custom.ExceptionEncodedData);
            case SmartContractRevertException revert:
                return Reverted(what, revert.EncodedData);
            case RpcResponseException rpc when IsRevert(rpc.RpcError):
                return Reverted(what, RevertData(rpc.RpcError));
            case RpcResponseException rpc:
                return new StateChannelException(
                    ErrorCode.ChainRpcFailure,
                    $"{what}: the node answered error {rpc.RpcError?.Code}: {rpc.RpcError?.Message}",
                    e);
            case RpcClientTimeoutException:
            case OperationCanceledException:
            case TimeoutException:
                return new StateChannelException(ErrorCode.ChainRpcFailure, $"{what}: the RPC request timed out.", e);
            default:
                // RpcClientUnknownException (connection refused, HTTP error, unparsable body),
                // HttpRequestException, JSON and format errors in an answer, ...
                return new StateChannelException(ErrorCode.ChainRpcFailure, $"{what}: RPC request failed: {e.Message}", e);
        }
    }

    /// <summary>
    /// Parses every given hex quantity now (Nethereum parses them lazily, on first use), so a malformed
    /// answer fails inside the guarded request as <see cref="ErrorCode.ChainRpcFailure"/> rather than later
    /// as a <see cref="FormatException"/>. Returns <paramref name="answer"/>.
    /// </summary>
    public static T Parsed<T>(T answer, params Nethereum.Hex.HexTypes.HexBigInteger?[] quantities)
    {
        foreach (var quantity in quantities)
        {
            _ = quantity?.Value;
        }

        return answer;
    }

    /// <summary>The exception for a revert with (possibly empty) revert data.</summary>
    public static StateChannelException Reverted(string what, string? revertData)
    {
        var (name, detail) = RevertDecoder.Decode(revertData);
        var exception = new StateChannelException(ErrorCode.TransactionFailed, $"{name}: {what} reverted ({detail}).");
        exception.Data[EthereumAdjudicator.RevertErrorDataKey] = name;
        return exception;
    }

    /// <summary>Whether a JSON-RPC error is an EVM revert (code 3, or a message saying so).</summary>
    public static bool IsRevert(RpcError? error) =>
        error is not null
        && (error.Code == 3
            || (error.Message?.Contains("revert", StringComparison.OrdinalIgnoreCase) ?? false));

    /// <summary>The revert data a node attached to an error: the first 0x-hex blob of at least 4 bytes, if any.</summary>
    public static string? RevertData(RpcError? error)
    {
        var data = error?.GetDataAsString();
        if (string.IsNullOrEmpty(data))
        {
            return null;
        }

        var match = HexBlob().Match(data);
        return match.Success ? match.Value : null;
    }

    [GeneratedRegex("0x(?:[0-9a-fA-F]{2}){4,}")]
    private static partial Regex HexBlob();
}

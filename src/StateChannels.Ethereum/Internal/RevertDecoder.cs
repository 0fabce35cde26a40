using System.Globalization;
using System.Numerics;
using System.Reflection;
using Nethereum.ABI.FunctionEncoding;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;
using AdjudicatorBindings = StateChannels.Ethereum.Bindings.Adjudicator;
using Erc20Bindings = StateChannels.Ethereum.Bindings.Erc20Errors;

namespace StateChannels.Ethereum.Internal;

/// <summary>
/// Names a revert from its data: the Adjudicator's custom errors (from its ABI, through the
/// generated bindings), OpenZeppelin's ERC-20 errors (IERC6093, which a token's revert inside
/// <c>deposit</c> bubbles up; the generated errors-only <c>Erc20Errors</c> binding), <c>Error(string)</c> and <c>Panic(uint256)</c>.
/// </summary>
internal static class RevertDecoder
{
    private const string ErrorStringSelector = "0x08c379a0";
    private const string PanicSelector = "0x4e487b71";

    /// <summary>The error's name (e.g. <c>StaleVersion</c>) and a readable rendering of it.</summary>
    public static (string Name, string Detail) Decode(string? revertData)
    {
        if (string.IsNullOrEmpty(revertData) || revertData.Length < 10 || !revertData.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return ("Reverted", "no revert data");
        }

        var data = revertData.ToLowerInvariant();
        var selector = data[..10];
        if (AdjudicatorBindings.AdjudicatorAbi.Errors.TryGetValue(selector, out var error)
            || Erc20Bindings.Erc20ErrorsAbi.Errors.TryGetValue(selector, out error))
        {
            return (error.Name, Render(error.Name, error.ErrorType, data));
        }

        if (selector == ErrorStringSelector)
        {
            try
            {
                var reason = new FunctionCallDecoder().DecodeFunctionErrorMessage(data);
                return ("Error", $"Error(\"{reason}\")");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return ("Error", "Error(string) with malformed data");
            }
        }

        if (selector == PanicSelector && data.Length == 10 + 64)
        {
            var code = new BigInteger(data[10..].HexToByteArray(), isUnsigned: true, isBigEndian: true);
            return ("Panic", $"Panic(0x{code.ToString("x2", CultureInfo.InvariantCulture)})");
        }

        return ("UnknownError", $"unknown error selector {selector}");
    }

    private static string Render(string name, Type errorType, string data)
    {
        try
        {
            var decoded = new SmartContractCustomErrorRevertException(data).DecodeError(errorType);
            var fields = errorType.GetProperties()
                .Select(p => (Property: p, Attribute: p.GetCustomAttribute<ParameterAttribute>()))
                .Where(x => x.Attribute is not null)
                .OrderBy(x => x.Attribute!.Order)
                .Select(x => $"{x.Attribute!.Name}: {Format(x.Property.GetValue(decoded))}");
            return $"{name}({string.Join(", ", fields)})";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"{name} with undecodable arguments";
        }
    }

    private static string Format(object? value) => value switch
    {
        null => "null",
        byte[] bytes => bytes.ToHex(prefix: true),
        BigInteger n => n.ToString(CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}

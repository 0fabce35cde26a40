using System.Text;
using Nethereum.JsonRpc.Client;
using Nethereum.JsonRpc.Client.RpcMessages;
using Newtonsoft.Json;

namespace StateChannels.Ethereum.Internal;

/// <summary>
/// Nethereum's <see cref="RpcClient"/> over a given <see cref="HttpClient"/>, with each request's
/// time-out released as soon as the request ends. Nethereum's own <c>SendAsync</c> arms a
/// <see cref="CancellationTokenSource"/> for <see cref="ClientBase.ConnectionTimeout"/> (a process-wide
/// static, 20 s by default) and never disposes it, so every request left its timer, token source and
/// registrations (about 290 bytes) in the runtime's timer queue until that time had passed: in the
/// Issue 7 hub, 3.5 KB for each channel opened in the last 20 s (its funding polls). Same requests,
/// same time-out, same exceptions (<see cref="RpcClientTimeoutException"/>,
/// <see cref="RpcClientUnknownException"/>), which <see cref="RpcGuard"/> maps.
/// </summary>
internal sealed class TimelyRpcClient : RpcClient
{
    private readonly HttpClient _http;
    private readonly JsonSerializerSettings _settings;

    /// <summary>A client for <paramref name="baseUrl"/> that sends through <paramref name="http"/> (not owned).</summary>
    public TimelyRpcClient(Uri baseUrl, HttpClient http)
        : this(baseUrl, http, DefaultJsonSerializerSettingsFactory.BuildDefaultJsonSerializerSettings())
    {
    }

    private TimelyRpcClient(Uri baseUrl, HttpClient http, JsonSerializerSettings settings)
        : base(baseUrl, http, jsonSerializerSettings: settings)
    {
        _http = http;
        _settings = settings;
    }

    /// <inheritdoc />
    public override async Task<RpcResponseMessage> SendAsync(RpcRequestMessage request, string? route = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            return await PostAsync<RpcResponseMessage>(request, route).ConfigureAwait(false);
        }
        catch (TaskCanceledException e)
        {
            throw TimedOut(e);
        }
        catch (Exception e)
        {
            throw new RpcClientUnknownException("Error occurred when trying to send rpc requests(s): " + request.Method, e);
        }
    }

    /// <inheritdoc />
    protected override async Task<RpcResponseMessage[]> SendAsync(RpcRequestMessage[] requests)
    {
        try
        {
            return await PostAsync<RpcResponseMessage[]>(requests, string.Empty).ConfigureAwait(false);
        }
        catch (TaskCanceledException e)
        {
            throw TimedOut(e);
        }
        catch (Exception e)
        {
            throw new RpcClientUnknownException("Error occurred when trying to send multiple rpc requests(s)", e);
        }
    }

    private static RpcClientTimeoutException TimedOut(TaskCanceledException e) =>
        new(string.Create(
            System.Globalization.CultureInfo.InvariantCulture, $"Rpc timeout after {ConnectionTimeout.TotalMilliseconds} milliseconds"), e);

    /// <summary>Posts <paramref name="body"/> as JSON and reads the answer; the time-out's timer goes when this returns.</summary>
    private async Task<T> PostAsync<T>(object body, string? route)
    {
        using var content = new StringContent(JsonConvert.SerializeObject(body, _settings), Encoding.UTF8, "application/json");
        using var timeout = new CancellationTokenSource(ConnectionTimeout);
        using var response = await _http.PostAsync(route, content, timeout.Token).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync().ConfigureAwait(false));
        using var json = new JsonTextReader(reader);
        return JsonSerializer.Create(_settings).Deserialize<T>(json)!;
    }
}

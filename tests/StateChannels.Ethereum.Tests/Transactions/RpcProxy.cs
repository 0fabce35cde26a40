using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace StateChannels.Ethereum.Tests.Transactions;

/// <summary>
/// A JSON-RPC proxy on 127.0.0.1 in front of a real node that lets a test rewrite the answers of
/// chosen methods (a lying or broken node): <see cref="Rewrite"/> gets the method and the node's
/// answer body and returns the body to send instead (or null to pass it through).
/// </summary>
internal sealed class RpcProxy : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly HttpListener _listener = new();
    private readonly Uri _upstream;
    private readonly Task _loop;

    public RpcProxy(Uri upstream)
    {
        _upstream = upstream;
        var port = FreePort();
        Url = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Url.ToString());
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public Uri Url { get; }

    /// <summary>(method, request, node's answer) → the answer body to send, or null for the node's.</summary>
    public Func<string, JsonNode, string, string?>? Rewrite { get; set; }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
        {
            // stopped
        }
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(context));
        }
    }

    private async Task ServeAsync(HttpListenerContext context)
    {
        try
        {
            string request;
            using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
            {
                request = await reader.ReadToEndAsync();
            }

            using var content = new StringContent(request, Encoding.UTF8, "application/json");
            using var response = await Http.PostAsync(_upstream, content);
            var body = await response.Content.ReadAsStringAsync();
            var parsed = JsonNode.Parse(request)!;
            var method = parsed is JsonObject ? (string?)parsed["method"] ?? "" : "batch";
            body = Rewrite?.Invoke(method, parsed, body) ?? body;
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
        catch (Exception)
        {
            try
            {
                context.Response.Abort();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using System.Net;

namespace StateChannels.Net.Limits;

/// <summary>
/// Counts a listener's open connections (handshakes included), in total and per remote IP, and
/// refuses slots beyond the limits. Thread-safe.
/// </summary>
internal sealed class ConnectionLimiter
{
    private readonly int _maxTotal;
    private readonly int _maxPerAddress;
    private readonly Dictionary<IPAddress, int> _perAddress = new();
    private readonly Lock _lock = new();
    private int _total;

    public ConnectionLimiter(int maxTotal, int maxPerAddress)
    {
        _maxTotal = maxTotal;
        _maxPerAddress = maxPerAddress;
    }

    /// <summary>The key a remote address is counted under: an IPv4 peer on a dual-stack socket counts as its IPv4 address.</summary>
    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>Open connections, handshakes included.</summary>
    public int Count => Volatile.Read(ref _total);

    /// <summary>Takes a slot for <paramref name="address"/>; <see langword="false"/> when a limit is reached.</summary>
    public bool TryAcquire(IPAddress address)
    {
        lock (_lock)
        {
            _perAddress.TryGetValue(address, out int current);
            if (_total >= _maxTotal || current >= _maxPerAddress)
            {
                return false;
            }

            _perAddress[address] = current + 1;
            _total++;
            return true;
        }
    }

    /// <summary>Returns a slot taken by <see cref="TryAcquire"/>. Call exactly once per successful acquire.</summary>
    public void Release(IPAddress address)
    {
        lock (_lock)
        {
            if (_perAddress.TryGetValue(address, out int current))
            {
                if (current <= 1)
                {
                    _perAddress.Remove(address);
                }
                else
                {
                    _perAddress[address] = current - 1;
                }

                _total--;
            }
        }
    }
}

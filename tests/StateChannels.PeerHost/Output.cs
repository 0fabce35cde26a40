using System.Buffers;
using System.Text.Json;

namespace StateChannels.PeerHost;

/// <summary>
/// Machine-readable progress on stdout: one JSON object per line, written with one unbuffered
/// write each, so a line the test reads was out of the process before anything that followed it
/// (a kill -9 cannot take back a printed acknowledgement).
/// </summary>
internal sealed class Output
{
    private readonly Stream _stdout = Console.OpenStandardOutput();
    private readonly Lock _lock = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly DateTime _processStart = System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime();

    /// <summary>Writes <c>{"ev": ev, "t": ms since start, fields...}</c> and a newline. Values: string, bool, integers, double, or anything (ToString).</summary>
    public void Emit(string ev, params (string Name, object? Value)[] fields)
    {
        lock (_lock)
        {
            _buffer.ResetWrittenCount();
            using (var json = new Utf8JsonWriter(_buffer))
            {
                json.WriteStartObject();
                json.WriteString("ev", ev);
                json.WriteNumber("t", (long)(DateTime.UtcNow - _processStart).TotalMilliseconds); // ms since the process started
                foreach (var (name, value) in fields)
                {
                    switch (value)
                    {
                        case null:
                            json.WriteNull(name);
                            break;
                        case bool b:
                            json.WriteBoolean(name, b);
                            break;
                        case int i:
                            json.WriteNumber(name, i);
                            break;
                        case long l:
                            json.WriteNumber(name, l);
                            break;
                        case ulong u:
                            json.WriteNumber(name, u);
                            break;
                        case double d:
                            json.WriteNumber(name, d);
                            break;
                        default:
                            json.WriteString(name, value.ToString());
                            break;
                    }
                }

                json.WriteEndObject();
            }

            _buffer.Write("\n"u8);
            _stdout.Write(_buffer.WrittenSpan);
            _stdout.Flush();
        }
    }
}

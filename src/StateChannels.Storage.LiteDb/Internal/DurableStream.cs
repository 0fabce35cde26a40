namespace StateChannels.Storage.LiteDb;

/// <summary>
/// The stream LiteDB 5 writes its data file or its log (WAL) file through. LiteDB 5 never waits
/// for its log to reach the device: <c>Commit</c> only queues the pages for a background writer
/// (upstream issue "Committed transactions are lost on power loss", fixed in 6.x only). This
/// wrapper makes the ordering and durability explicit:
/// <list type="bullet">
/// <item>every <see cref="Flush()"/> LiteDB issues is a flush to the device (fsync), never a flush
/// to the OS cache only;</item>
/// <item>log mode: before a page marked "confirmed" (the last page of a transaction,
/// LiteDB's commit record) is written, every earlier page is flushed to the device, so after a
/// power loss a confirmed transaction is never missing one of its pages however the device
/// reordered the unflushed writes;</item>
/// <item>data mode: before the data file is overwritten (checkpoint), the log is flushed to the
/// device (the write-ahead rule), so a crash in the middle of a checkpoint can be replayed;</item>
/// <item>a truncation is flushed at once, so a truncated log never comes back with stale pages;</item>
/// <item><see cref="WaitDurable"/> lets the committing thread wait until the log holds every
/// byte up to an offset and those bytes are on the device.</item>
/// </list>
/// Thread-safe: LiteDB's own wrapper serialises reads and writes; flushes and length changes are
/// serialised here.
/// </summary>
internal sealed class DurableStream : Stream
{
    // LiteDB 5 page header (BasePage): the page type byte is at offset 4 and the
    // "IsConfirmed" flag, set on a transaction's last page, at offset 18.
    private const int PageSize = 8192;
    private const int ConfirmedFlagOffset = 18;

    private readonly Stream _device;
    private readonly bool _isLog;
    private readonly DurableStream? _writeAheadLog;
    private readonly object _gate = new();
    private long _writtenEnd;
    private long _durableEnd;
    private bool _dirty;
    private Exception? _fault;
    private long _deviceFlushes;
    private bool _disposed;

    /// <summary>Wraps <paramref name="device"/>; it is disposed with this stream.</summary>
    /// <param name="device">The file (or a test double); a <see cref="FileStream"/> is flushed with <c>Flush(true)</c>, anything else with <c>Flush()</c>.</param>
    /// <param name="isLog">True for LiteDB's log file (commit-record barrier), false for its data file.</param>
    /// <param name="writeAheadLog">For the data file: the log stream that must be durable before any data-file write.</param>
    public DurableStream(Stream device, bool isLog, DurableStream? writeAheadLog)
    {
        _device = device;
        _isLog = isLog;
        _writeAheadLog = writeAheadLog;
        _writtenEnd = device.Length;
        _durableEnd = _writtenEnd;
    }

    /// <summary>How many times the device was flushed (diagnostics and tests).</summary>
    public long DeviceFlushes => Interlocked.Read(ref _deviceFlushes);

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => true;

    public override long Length
    {
        get
        {
            lock (_gate)
            {
                return _device.Length;
            }
        }
    }

    public override long Position
    {
        get
        {
            lock (_gate)
            {
                return _device.Position;
            }
        }

        set
        {
            lock (_gate)
            {
                _device.Position = value;
            }
        }
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            return _device.Read(buffer, offset, count);
        }
    }

    public override int Read(Span<byte> buffer)
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            return _device.Read(buffer);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        // Write-ahead rule: the log reaches the device before the data file changes.
        _writeAheadLog?.Flush();

        lock (_gate)
        {
            ThrowIfUnusable();
            try
            {
                if (_isLog && _dirty && buffer.Length == PageSize && buffer[ConfirmedFlagOffset] != 0)
                {
                    // Commit-record barrier: all earlier pages of the transaction are durable
                    // before the page that declares it committed can be.
                    FlushDeviceLocked();
                }

                _device.Write(buffer);
                _writtenEnd = Math.Max(_writtenEnd, _device.Position);
                _dirty = true;
            }
            catch (Exception ex)
            {
                _fault ??= ex;
                throw;
            }
            finally
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Flushes to the device (fsync) whatever was written since the last flush.</summary>
    public override void Flush()
    {
        lock (_gate)
        {
            if (_dirty)
            {
                ThrowIfUnusable();
                FlushDeviceLocked();
            }
        }
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        lock (_gate)
        {
            return _device.Seek(offset, origin);
        }
    }

    public override void SetLength(long value)
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            try
            {
                _device.SetLength(value);
                _writtenEnd = Math.Min(_writtenEnd, value);
                _durableEnd = Math.Min(_durableEnd, value);
                _dirty = true;

                // A truncated log must stay truncated: otherwise stale pages of checkpointed
                // transactions could reappear under transaction ids LiteDB reuses.
                FlushDeviceLocked();
            }
            catch (Exception ex)
            {
                _fault ??= ex;
                throw;
            }
            finally
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>
    /// Blocks until every byte below <paramref name="end"/> has been written and flushed to the
    /// device (flushing it here if LiteDB's writer has not yet), or throws
    /// <see cref="IOException"/> when the stream faulted or <paramref name="timeout"/> passed.
    /// </summary>
    /// <param name="end">The offset the log must durably reach (LiteDB's virtual log length after a commit).</param>
    /// <param name="timeout">How long to wait for LiteDB's background writer.</param>
    public void WaitDurable(long end, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_gate)
        {
            while (_writtenEnd < end)
            {
                ThrowIfUnusable();
                long remaining = deadline - Environment.TickCount64;
                if (remaining <= 0)
                {
                    throw new IOException($"The log did not reach offset {end} within {timeout} (written up to {_writtenEnd}).");
                }

                Monitor.Wait(_gate, TimeSpan.FromMilliseconds(Math.Min(remaining, 1000)));
            }

            if (_durableEnd < end)
            {
                ThrowIfUnusable();
                FlushDeviceLocked();
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_gate)
            {
                if (!_disposed)
                {
                    _disposed = true;
                    _device.Dispose();
                }
            }
        }

        base.Dispose(disposing);
    }

    private void FlushDeviceLocked()
    {
        try
        {
            long end = _writtenEnd;
            if (_device is FileStream file)
            {
                file.Flush(flushToDisk: true);
            }
            else
            {
                _device.Flush();
            }

            _durableEnd = Math.Max(_durableEnd, end);
            _dirty = false;
            Interlocked.Increment(ref _deviceFlushes);
        }
        catch (Exception ex)
        {
            _fault ??= ex;
            throw;
        }
        finally
        {
            Monitor.PulseAll(_gate);
        }
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_fault is not null)
        {
            throw new IOException("An earlier write or flush of this file failed; its durable content is unknown.", _fault);
        }
    }
}

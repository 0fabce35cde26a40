namespace StateChannels.Storage.LiteDb;

/// <summary>
/// The stream LiteDB 5 writes its data file or its log (WAL) file through. LiteDB 5 never waits
/// for its log to reach the device: <c>Commit</c> only queues the pages for a background writer
/// (upstream issue "Committed transactions are lost on power loss", fixed in 6.x only). This
/// wrapper makes the ordering and durability explicit:
/// <list type="bullet">
/// <item>data file: every <see cref="Flush()"/> LiteDB issues is a flush to the device (fsync), never a
/// flush to the OS cache only. Log: LiteDB's own <see cref="Flush()"/> calls are not needed for
/// durability (see <see cref="Flush()"/>) and are skipped; the log is flushed to the device by the
/// rules below and by <see cref="FlushToDevice"/>;</item>
/// <item>log: before a page marked "confirmed" (the last page of a transaction, LiteDB's commit
/// record) is written, every earlier page is flushed to the device, so after a power loss a
/// confirmed transaction is never missing one of its pages however the device reordered the
/// unflushed writes;</item>
/// <item>data file: before it is overwritten (checkpoint), the log is flushed to the device
/// (the write-ahead rule), so a crash in the middle of a checkpoint is replayed from the log;</item>
/// <item>a truncation is flushed at once, so a truncated log never comes back with stale pages;</item>
/// <item><see cref="WaitDurable"/> lets the committing thread wait until the log holds every byte
/// up to an offset and those bytes are on the device.</item>
/// </list>
/// <para>Failures: LiteDB 5 reacts to an <see cref="IOException"/> by closing itself from whatever
/// thread saw it, which can leave a half-committed transaction whose finalizer later throws on
/// the GC thread and kills the process. So this stream never throws <see cref="IOException"/>:
/// a failed log write, flush or truncation is recorded and dropped (LiteDB's background writer
/// carries on; <see cref="WaitDurable"/> reports the fault to the store, which stops accepting
/// work), and reads and data-file writes fail with <see cref="StorageDeviceException"/>, which
/// LiteDB treats as an ordinary error. After a fault nothing more reaches the file.</para>
/// Thread-safe: LiteDB's own wrapper serialises reads and writes; flushes and length changes are
/// serialised here.
/// </summary>
internal sealed class DurableStream : Stream
{
    // LiteDB 5 page header (BasePage): the "IsConfirmed" flag, set on a transaction's last page,
    // is the byte at offset 18.
    private const int ConfirmedFlagOffset = 18;

    private readonly Stream _device;
    private readonly bool _isLog;
    private readonly DurableStream? _writeAheadLog;
    private readonly object _gate = new();
    private long _writtenEnd;
    private long _durableEnd;
    private bool _dirty;
    private Exception? _fault;
    private bool _disposed;
    private volatile bool _commitBarrier = true;
    private volatile bool _writesAllowed = true;
    private DurableStream? _dataFile;
    private long _truncations;
    private long _writes;

    /// <summary>Wraps <paramref name="device"/>; it is disposed with this stream.</summary>
    /// <param name="device">The file (or a test double); a <see cref="FileStream"/> is flushed with <c>Flush(true)</c>, anything else with <c>Flush()</c>.</param>
    /// <param name="isLog">True for LiteDB's log file, false for its data file.</param>
    /// <param name="writeAheadLog">For the data file: the log stream that must be durable before any data-file write.</param>
    public DurableStream(Stream device, bool isLog, DurableStream? writeAheadLog)
    {
        _device = device;
        _isLog = isLog;
        _writeAheadLog = writeAheadLog;
        _writtenEnd = device.Length;
        _durableEnd = _writtenEnd;
    }

    /// <summary>
    /// Log: whether a page marked "confirmed" is written only after a flush of the pages before it
    /// (default true). The store turns it off while its commit log makes writes durable: LiteDB's
    /// log is then flushed only as a whole, at a sync.
    /// </summary>
    public bool CommitBarrier
    {
        get => _commitBarrier;
        set => _commitBarrier = value;
    }

    /// <summary>
    /// Data file: whether writes are allowed (default true). While false a write fails with
    /// <see cref="StorageDeviceException"/> and nothing reaches the file: the store allows them only
    /// while it checkpoints after a sync, so the data file never changes while LiteDB's log is not
    /// durable.
    /// </summary>
    public bool WritesAllowed
    {
        get => _writesAllowed;
        set => _writesAllowed = value;
    }

    /// <summary>How far the file is known to be on the device (tests).</summary>
    internal long DurableEnd
    {
        get
        {
            lock (_gate)
            {
                return _durableEnd;
            }
        }
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => true;

    public override long Length
    {
        get
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                try
                {
                    return _device.Length;
                }
                catch (Exception ex)
                {
                    throw Fault(ex);
                }
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

    private bool IsFaulted
    {
        get
        {
            lock (_gate)
            {
                return _fault is not null;
            }
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            try
            {
                return _device.Read(buffer);
            }
            catch (Exception ex)
            {
                throw Fault(ex);
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>Log: the data file, flushed to the device before the log is truncated (a checkpoint's pages must be durable before the log that also holds them goes).</summary>
    public void AttachDataFile(DurableStream data) => _dataFile = data;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (!_isLog && !_writesAllowed)
        {
            throw new StorageDeviceException("The data file may change only during a checkpoint after a sync.", null);
        }

        if (_writeAheadLog is { } log)
        {
            // Write-ahead rule: the log reaches the device before the data file changes.
            log.FlushToDevice();
            if (log.IsFaulted)
            {
                throw new StorageDeviceException("The log could not be made durable; the data file is left untouched.", null);
            }
        }

        lock (_gate)
        {
            if (!Usable())
            {
                return;
            }

            try
            {
                if (_isLog && _commitBarrier && _dirty && buffer.Length == StoreDocuments.PageSize && buffer[ConfirmedFlagOffset] != 0)
                {
                    // Commit-record barrier: every earlier page of the transaction is durable
                    // before the page that declares it committed can be.
                    FlushDeviceLocked();
                }

                _device.Write(buffer);
                _writes++;
                _writtenEnd = Math.Max(_writtenEnd, _device.Position);
                _dirty = true;
            }
            catch (Exception ex)
            {
                FaultUnlessLog(ex);
            }
            finally
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>
    /// Data file: flushes to the device (fsync) whatever was written since the last flush.
    /// Log: does nothing. LiteDB's background writer calls this each time its page queue runs
    /// empty, and because its queue continuation runs inline on the committing thread the queue
    /// empties after every single page: a commit of 3 pages cost 3 fsyncs in a row (measured:
    /// 3.3 fsyncs per write, most of a sequential payment's latency and much of the store's CPU).
    /// None of them is needed: a commit is acknowledged only after <see cref="WaitDurable"/> has
    /// flushed the log up to its end; the commit record (confirmed page) is only written after a
    /// flush of the pages before it (the barrier in <see cref="Write(ReadOnlySpan{byte})"/>); the
    /// data file calls <see cref="FlushToDevice"/> before it changes; truncation and disposal flush
    /// on their own. So a commit costs one fsync (one page) or two (barrier, then the end).
    /// </summary>
    public override void Flush()
    {
        if (_isLog)
        {
            return;
        }

        FlushToDevice();
    }

    /// <summary>Flushes to the device (fsync) whatever was written since the last flush, log or data file alike.</summary>
    public void FlushToDevice()
    {
        lock (_gate)
        {
            if (!_dirty || !Usable())
            {
                return;
            }

            try
            {
                FlushDeviceLocked();
            }
            catch (Exception ex)
            {
                FaultUnlessLog(ex);
            }
            finally
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>
    /// Flushes what was written so far to the device without holding up writers (the flush runs
    /// outside the stream's lock, by file handle), if at least <paramref name="minUnflushedBytes"/>
    /// wait. For the log between syncs: the sync that must make it durable then finds little left.
    /// A failure faults the stream, as any failed flush. Files on Linux only; otherwise nothing.
    /// </summary>
    public void FlushInBackground(long minUnflushedBytes)
    {
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        long end;
        long truncations;
        long writes;
        lock (_gate)
        {
            if (_disposed || _fault is not null || !_dirty || _device is not FileStream file || !OperatingSystem.IsLinux()
                || _writtenEnd - _durableEnd < minUnflushedBytes)
            {
                return;
            }

            handle = file.SafeFileHandle;
            end = _writtenEnd;
            truncations = _truncations;
            writes = _writes;
        }

        Exception? failure = null;
        try
        {
            DeviceFlush.FlushHandle(handle);
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            if (failure is not null)
            {
                _fault ??= failure;
            }
            else if (truncations == _truncations && writes == _writes)
            {
                // Nothing was written or truncated while the flush ran: everything is on the device.
                _durableEnd = Math.Max(_durableEnd, end);
                _dirty = false;
            }

            Monitor.PulseAll(_gate);
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
        if (_dataFile is { } data && value < _writtenEnd)
        {
            data.FlushToDevice();
        }

        lock (_gate)
        {
            if (!Usable())
            {
                return;
            }

            try
            {
                _device.SetLength(value);
                _truncations++;
                _writtenEnd = Math.Min(_writtenEnd, value);
                _durableEnd = Math.Min(_durableEnd, value);
                _dirty = true;

                // A truncated log must stay truncated: otherwise stale pages of checkpointed
                // transactions could reappear under transaction ids LiteDB reuses.
                FlushDeviceLocked();
            }
            catch (Exception ex)
            {
                FaultUnlessLog(ex);
            }
            finally
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>
    /// Blocks until every byte below <paramref name="end"/> has been written and flushed to the
    /// device (flushing here if LiteDB's writer has not yet).
    /// </summary>
    /// <param name="end">The offset the log must durably reach (LiteDB's virtual log length after a commit).</param>
    /// <param name="timeout">How long to wait for LiteDB's background writer.</param>
    /// <exception cref="StorageDeviceException">The stream faulted or the timeout passed: durability is unknown.</exception>
    public void WaitDurable(long end, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_gate)
        {
            while (true)
            {
                ThrowIfUnusable();
                if (_writtenEnd >= end)
                {
                    break;
                }

                long remaining = deadline - Environment.TickCount64;
                if (remaining <= 0)
                {
                    throw new StorageDeviceException(
                        $"The log did not reach offset {end} within {timeout} (written up to {_writtenEnd}).", null);
                }

                Monitor.Wait(_gate, TimeSpan.FromMilliseconds(Math.Min(remaining, 1000)));
            }

            if (_durableEnd < end)
            {
                try
                {
                    FlushDeviceLocked();
                }
                catch (Exception ex)
                {
                    throw Fault(ex);
                }
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
                    if (_isLog && _dirty && _fault is null)
                    {
                        // LiteDB's own log flushes are skipped (see Flush): flush what is left
                        // before closing, as they would have. Best effort: every acknowledged
                        // commit was already made durable by WaitDurable.
                        try
                        {
                            FlushDeviceLocked();
                        }
                        catch (Exception ex)
                        {
                            _fault ??= ex;
                        }
                    }

                    _disposed = true;
                    _device.Dispose();
                }
            }
        }

        base.Dispose(disposing);
    }

    private void FlushDeviceLocked()
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
    }

    /// <summary>Records the first fault and returns the exception to throw for it.</summary>
    private StorageDeviceException Fault(Exception ex)
    {
        _fault ??= ex;
        Monitor.PulseAll(_gate);
        return ex as StorageDeviceException ?? new StorageDeviceException($"The storage device failed: {ex.Message}", ex);
    }

    /// <summary>Records the fault; the data file throws, the log swallows it (see the class remarks).</summary>
    private void FaultUnlessLog(Exception ex)
    {
        StorageDeviceException failure = Fault(ex);
        if (!_isLog)
        {
            throw failure;
        }
    }

    /// <summary>False when the stream faulted and the operation must be dropped (log) — or throws (data file).</summary>
    private bool Usable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_fault is null)
        {
            return true;
        }

        return _isLog ? false : throw new StorageDeviceException("An earlier operation on this file failed.", _fault);
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_fault is not null)
        {
            throw new StorageDeviceException("An earlier write or flush of this file failed; its durable content is unknown.", _fault);
        }
    }
}

using System.Linq.Expressions;
using System.Reflection;
using LiteDB.Engine;

namespace StateChannels.Storage.LiteDb;

/// <summary>
/// Reads LiteDB's virtual log length (the end of the last log page queued for its background
/// writer) without a query. The store asks for it after every commit (<c>WaitDurable</c>);
/// through the <c>$database</c> system collection that cost ~110 µs of CPU per write (a query
/// plan plus a document of every engine statistic), about a fifth of the writer's CPU per write.
/// <para>The <c>$database</c> document's <c>logFileSize</c> is <c>DiskService.GetVirtualLength(FileOrigin.Log)</c>
/// of the engine: this calls that method directly through a compiled delegate. LiteDB is pinned
/// to 5.0.20 (the only version served); should a future version lack the member, <see cref="TryCreate"/>
/// returns null and the store keeps using the query. The store also checks once, at open, that
/// both agree (<c>LiteDbChannelStore.Open</c>).</para>
/// </summary>
internal static class LogLengthProbe
{
    /// <summary>A delegate returning the engine's virtual log length, or null when LiteDB's internals are not as expected.</summary>
    public static Func<long>? TryCreate(LiteEngine engine)
    {
        try
        {
            FieldInfo? diskField = typeof(LiteEngine).GetField("_disk", BindingFlags.Instance | BindingFlags.NonPublic);
            Type? originType = typeof(LiteEngine).Assembly.GetType("LiteDB.Engine.FileOrigin");
            if (diskField is null || originType is null || !originType.IsEnum || !Enum.IsDefined(originType, "Log"))
            {
                return null;
            }

            MethodInfo? length = diskField.FieldType.GetMethod(
                "GetVirtualLength", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, [originType]);
            if (length is null || length.ReturnType != typeof(long) || diskField.GetValue(engine) is null)
            {
                return null;
            }

            // () => engine._disk.GetVirtualLength(FileOrigin.Log)
            Expression call = Expression.Call(
                Expression.Field(Expression.Constant(engine), diskField),
                length,
                Expression.Constant(Enum.Parse(originType, "Log"), originType));
            return Expression.Lambda<Func<long>>(call).Compile();
        }
        catch (Exception ex) when (ex is MemberAccessException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            return null;
        }
    }
}

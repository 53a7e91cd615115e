using System.Text;

namespace Dispatcher.Data;

/// <summary>SQL put together in pieces, its values kept apart as parameters: for EF Core's raw SQL methods, which take
/// <c>{0}</c>, <c>{1}</c>… where each parameter goes. The text pieces are the code's own, never a value.</summary>
public sealed class SqlText
{
    private readonly StringBuilder _sql = new();
    private readonly List<object> _parameters = [];

    public SqlText Append(string sql)
    {
        if (sql.AsSpan().IndexOfAny('{', '}') >= 0) throw new ArgumentException("SQL text with braces: pass values as parameters.", nameof(sql));
        _sql.Append(sql);
        return this;
    }

    public SqlText Parameter(object value)
    {
        _sql.Append('{').Append(_parameters.Count).Append('}');
        _parameters.Add(value);
        return this;
    }

    public SqlText Append(SqlText other)
    {
        var offset = _parameters.Count;
        _sql.Append(System.Text.RegularExpressions.Regex.Replace(other._sql.ToString(), @"\{(\d+)\}",
            m => "{" + (int.Parse(m.Groups[1].Value) + offset) + "}"));
        _parameters.AddRange(other._parameters);
        return this;
    }

    public string Sql => _sql.ToString();

    public object[] Parameters => [.. _parameters];

    public override string ToString() => Sql;
}

"""The FerretDB patch that stops formatting every SQL statement for a debug log: each logging
line is guarded by its logger's level, and a source that no longer looks as expected stops the
build rather than leaving the patch half applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.provision import ProvisionError, _log_sql_only_when_debugging

WRAPPER = """\
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	fields := []any{slog.Any("args", args)}
	tx.l.With(fields...).DebugContext(ctx, fmt.Sprintf(">>> %s", query))
	res, err := tx.sqlTx.ExecContext(ctx, query, args...)
	tx.l.With(fields...).DebugContext(ctx, fmt.Sprintf("<<< %s", query))
	return res, err
}
"""


def test_each_sql_debug_log_runs_only_at_debug_level(tmp_path: Path) -> None:
    source = tmp_path / "tx.go"
    source.write_text(WRAPPER * 3)
    _log_sql_only_when_debugging(source)
    patched = source.read_text()
    guarded = (
        "\tif tx.l.Enabled(ctx, slog.LevelDebug) {\n"
        '\t\ttx.l.With(fields...).DebugContext(ctx, fmt.Sprintf(">>> %s", query))\n'
        "\t}\n"
    )
    assert patched.count(guarded) == 3
    assert patched.count("tx.l.With(fields...)") == 6  # every one of them, each inside its guard
    assert patched.count("Enabled(ctx, slog.LevelDebug)") == 6


def test_a_source_that_changed_stops_the_build(tmp_path: Path) -> None:
    source = tmp_path / "tx.go"
    source.write_text(WRAPPER * 2)
    with pytest.raises(ProvisionError, match="4 SQL debug logs"):
        _log_sql_only_when_debugging(source)
    assert source.read_text() == WRAPPER * 2

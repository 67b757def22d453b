"""What `qc up` says once the gateway is ready: where the console is, the first admin's password and a first
app's commands."""

from __future__ import annotations

from pathlib import Path

from quickon_cli.up import first_steps


def text(lines: list[tuple[str, dict[str, object]]]) -> str:
    return "\n".join(message for message, _ in lines)


def test_a_generated_password_is_shown_with_where_it_is_kept(tmp_path: Path) -> None:
    kept = tmp_path / "gateway" / "initial-admin-password"
    kept.parent.mkdir()
    kept.write_text("Correct-Horse-7\n")
    said = text(first_steps(gateway_url="http://127.0.0.1:8080", var_dir=tmp_path, env={}))
    assert said.startswith("  Open the console in a browser: http://127.0.0.1:8080/ ")
    assert "password: Correct-Horse-7" in said
    assert str(kept) in said
    assert "qc login -u admin\n" in said
    assert "qc install gitea" in said
    assert "qc status gitea" in said


def test_without_a_generated_password_only_the_commands_are_shown(tmp_path: Path) -> None:
    lines = first_steps(gateway_url="http://127.0.0.1:18080", var_dir=tmp_path, env={"QC_ADMIN_PASSWORD": "x"})
    said = text(lines)
    assert "password:" not in said
    assert "QC_ADMIN_PASSWORD" in said
    assert "qc login -u admin --url http://127.0.0.1:18080" in said
    commands = next(fields["commands"] for _, fields in lines if "commands" in fields)
    assert isinstance(commands, list)
    assert len(commands) == 3

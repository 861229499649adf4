"""orders-admin explains itself: every group and every command has help."""

from __future__ import annotations

import pytest

from cli.orders_admin import parse_args

GROUPS = {
    "orders": ["show", "list", "approve", "reject", "cancel"],
    "users": ["list", "create", "disable"],
    "keys": ["issue", "list", "revoke"],
}


def help_of(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        parse_args([*argv, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


def test_the_tool_names_its_groups_and_the_database_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    shown = help_of(capsys)
    for group in [*GROUPS, "check"]:
        assert group in shown
    assert "--database-url" in shown


@pytest.mark.parametrize("group", list(GROUPS))
def test_each_group_lists_its_commands_and_each_command_its_options(
    group: str, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = help_of(capsys, group)
    for command in GROUPS[group]:
        assert command in shown
    for command in GROUPS[group]:
        assert "usage: orders-admin" in help_of(capsys, group, command)
    assert "--reason" in help_of(capsys, "orders", "cancel")


def test_bad_input_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_args(["orders", "show", "not-an-id"])
    assert exit_.value.code == 2
    assert "is not a ord_... id" in capsys.readouterr().err

"""orders-admin explains itself: every group and every command has help, and bad input
is a usage error (exit 2) that names the value."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli.orders_admin import app

GROUPS = {
    "orders": ["show", "list", "approve", "reject", "cancel", "edit"],
    "users": ["list", "create", "disable"],
    "keys": ["issue", "list", "revoke"],
    "outbox": ["list", "retry", "drop"],
    "locations": ["list", "create", "update", "stock"],
    "refunds": ["list", "retry"],
}


def invoke(*argv: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(argv), prog_name="orders-admin")
    return result.exit_code, result.output


def help_of(*argv: str) -> str:
    code, shown = invoke(*argv, "--help")
    assert code == 0, shown
    return shown


def test_the_tool_names_its_groups_and_its_options() -> None:
    shown = help_of()
    for group in [*GROUPS, "check"]:
        assert group in shown
    assert "--database-url" in shown and "--json" in shown


@pytest.mark.parametrize("group", list(GROUPS))
def test_each_group_lists_its_commands_and_each_command_its_options(group: str) -> None:
    shown = help_of(group)
    for command in GROUPS[group]:
        assert command in shown
        assert f"Usage: orders-admin {group} {command}" in help_of(group, command)
    assert "--reason" in help_of("orders", "cancel")
    assert "--order" in help_of("check") and "--grace" in help_of("check")


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["orders", "show", "not-an-id"], "is not a ord_... id"),
        (["users", "create", "--email", "nope", "--name", "x"], "is not an email address"),
        (["orders", "list", "--limit", "0"], "--limit"),
        (["orders", "list", "--status", "lost"], "--status"),
    ],
)
def test_bad_input_is_a_usage_error(argv: list[str], said: str) -> None:
    code, shown = invoke(*argv)
    assert code == 2
    assert said in shown

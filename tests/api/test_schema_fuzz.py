"""Schemathesis over the whole served schema, against the real API process: no 500s,
and no response that breaks the schema the API itself publishes."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from temporalio.worker import Worker

from domain.users import Role
from tests.factories import add_user
from tests.stack import Stack

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)


async def test_fuzzing_every_operation_finds_no_server_error_or_schema_break(
    stack: Stack, worker: Worker, session_uow: Any, tmp_path: Path
) -> None:
    _, admin_key = await add_user(session_uow, Role.ADMIN)
    st = Path(sys.executable).with_name("st")
    process = await asyncio.create_subprocess_exec(
        str(st),
        "run",
        f"{stack.api_url}/openapi.json",
        "--header",
        f"Authorization: Bearer {admin_key}",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "15",
        "--seed",
        "20261129",
        # One worker: CPython 3.11's ast.parse is not thread-safe, and hypothesis calls it.
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
    )
    output, _ = await process.communicate()  # the worker serves placed orders meanwhile
    report = output.decode(errors="replace")

    assert process.returncode == 0, report[-6000:]

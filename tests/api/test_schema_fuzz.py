"""Schemathesis over the whole served schema, against the real API process: no 500s,
and no response that breaks the schema the API itself publishes.

Three fixed seeds, so a run is reproducible and each seed explores other values. Each
runs the fuzzing and the stateful phase (sequences of calls along the links
Schemathesis infers from the schema and from `Location` headers: create a product,
then read, change and stock it); the first seed also runs the schema's examples and
the coverage phase, which do not depend on the seed.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest
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
SEEDS = [
    (20261129, ["examples", "coverage", "fuzzing", "stateful"]),
    (7, ["fuzzing", "stateful"]),
    (424242, ["fuzzing", "stateful"]),
]


@pytest.mark.parametrize(("seed", "phases"), SEEDS, ids=[str(seed) for seed, _ in SEEDS])
async def test_fuzzing_every_operation_finds_no_server_error_or_schema_break(
    stack: Stack, worker: Worker, session_uow: Any, tmp_path: Path, seed: int, phases: list[str]
) -> None:
    _, admin_key = await add_user(session_uow, Role.ADMIN)
    async with session_uow() as uow:
        default = await uow.locations.get("default")
    assert default is not None
    st = Path(sys.executable).with_name("st")
    report_path = tmp_path / "report.json"
    process = await asyncio.create_subprocess_exec(
        str(st),
        "run",
        f"{stack.api_url}/openapi.json",
        "--header",
        f"Authorization: Bearer {admin_key}",
        "--checks",
        CHECKS,
        "--phases",
        ",".join(phases),
        "--max-examples",
        "20",
        "--seed",
        str(seed),
        # One worker: CPython 3.11's ast.parse is not thread-safe, and hypothesis calls it.
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        "--report",
        "json",
        "--report-json-path",
        str(report_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
    )
    output, _ = await process.communicate()  # the worker serves placed orders meanwhile
    text = output.decode(errors="replace")
    # The schema's examples change the `default` location the other tests ship from.
    async with session_uow() as uow:
        await uow.locations.change(
            "default",
            {
                "name": default.name,
                "country": default.country,
                "priority": default.priority,
                "active": default.active,
            },
        )
        await uow.commit()

    assert process.returncode == 0, text[-6000:]
    # The run did what was asked: every phase ran to its end, every operation was
    # tested, and nothing failed or errored on the way.
    report = json.loads(report_path.read_text())
    ran = {name: result["status"] for name, result in report["phases"].items()}
    assert ran == {
        name: "success" if name in phases else "skip"
        for name in ("examples", "coverage", "fuzzing", "stateful")
    }, text[-6000:]
    assert report["complete"] and report["stop_reason"] == "completed"
    assert report["operations"]["tested"] == report["operations"]["selected"] > 0
    assert (report["failures"], report["errors"]) == ([], [])

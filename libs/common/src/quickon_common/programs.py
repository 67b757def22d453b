"""Running an outside program (helm, trivy) to its end without blocking the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ProgramResult:
    """What one run returned."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


async def run_program(
    binary: str,
    *args: str,
    env: Mapping[str, str],
    timeout_s: float,
    failure: Callable[[str], Exception],
    hint: str,
    cwd: Path | None = None,
) -> ProgramResult:
    """Run ``binary ARGS`` to its end; a non-zero exit is returned, not raised. A program that cannot start,
    or does not finish within ``timeout_s``, raises ``failure(message)`` (the message ends with ``hint``: how
    to get the program); none is left running, timed out or cancelled."""
    name = Path(binary).name
    try:
        process = await asyncio.create_subprocess_exec(
            binary, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=cwd, env=dict(env)
        )
    except OSError as error:
        raise failure(f"cannot start {name}: {error}; {hint}") from None
    try:
        async with asyncio.timeout(timeout_s):
            stdout, stderr = await process.communicate()
    except TimeoutError:
        raise failure(f"{name} {' '.join(args[:2])} did not finish in {timeout_s:.0f}s") from None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return ProgramResult(process.returncode or 0, stdout.decode(errors="replace"), stderr.decode(errors="replace"))

"""Where a build reads and writes, and the locks that keep two builds apart."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent

DEFAULT_RAW_DIR = "data/raw"
DEFAULT_WAREHOUSE = "warehouse/cart_recovery.duckdb"


class LockHeldError(RuntimeError):
    """Another build holds one of this build's locks."""


@dataclass(frozen=True)
class Paths:
    """Every location a build touches, absolute.

    The build file defaults to `<warehouse dir>/build/<warehouse name>.build.duckdb` and dbt's target directory to
    `<build file>.target`, so builds of different warehouses never share either; a build locks its warehouse, its
    build file and its target directory (see `build_locks`)."""

    project_dir: Path
    raw_dir: Path
    build_path: Path
    published_path: Path
    target_path: Path
    log_path: Path

    @property
    def marker_path(self) -> Path:
        return self.published_path.with_suffix(".build.json")

    @property
    def state_path(self) -> Path:
        """The workflow state database (deliveries and owners' actions), never replaced by a publish."""
        from cart_recovery.workflow.state import path_beside

        return path_beside(self.published_path)

    @property
    def lock_paths(self) -> tuple[Path, ...]:
        """One lock per published warehouse, one per build file, one per dbt target directory."""
        return (
            self.published_path.with_name(self.published_path.name + ".lock"),
            self.build_path.with_name(self.build_path.name + ".lock"),
            self.target_path / ".build.lock",
        )

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Paths:
        """Resolve paths from the environment; relative paths are relative to the project directory."""
        env = dict(os.environ if env is None else env)
        project_dir = Path(env.get("CART_RECOVERY_PROJECT_DIR", PROJECT_DIR)).resolve()

        def resolve(name: str, default: str | Path) -> Path:
            path = Path(env.get(name) or default).expanduser()
            return path if path.is_absolute() else project_dir / path

        published = resolve("CART_RECOVERY_WAREHOUSE", DEFAULT_WAREHOUSE)
        build = resolve("CART_RECOVERY_BUILD_PATH", published.parent / "build" / f"{published.stem}.build.duckdb")
        target = resolve("DBT_TARGET_PATH", build.with_name(build.stem + ".target"))
        return cls(
            project_dir=project_dir,
            raw_dir=resolve("CART_RECOVERY_RAW_DIR", DEFAULT_RAW_DIR),
            build_path=build,
            published_path=published,
            target_path=target,
            log_path=resolve("DBT_LOG_PATH", target / "logs"),
        )


@contextlib.contextmanager
def build_locks(paths: Paths) -> Iterator[None]:
    """Hold every lock of a build (non-blocking, exclusive) while it runs; released when the process ends, even
    by SIGKILL (flock)."""
    with contextlib.ExitStack() as stack:
        for lock_path in paths.lock_paths:
            stack.enter_context(_lock(lock_path))
        yield


@contextlib.contextmanager
def _lock(lock_path: Path) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise LockHeldError(
                f"Another build is already running (lock {lock_path} held by {holder}). "
                "Wait for it to finish and run the build again."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {dt.datetime.now(dt.UTC).isoformat()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

"""Why a build published nothing, with the exit code the CLI returns for it."""

from __future__ import annotations

EXIT_BUILD_FAILED = 1
EXIT_BAD_LANDING = 2
EXIT_BUILD_LOCKED = 3


class BuildError(RuntimeError):
    """The build did not pass; nothing was published. The message's first line says why."""

    exit_code = EXIT_BUILD_FAILED


class LandingError(BuildError):
    """The landing directory cannot be built from (missing, empty or not the contract's shape)."""

    exit_code = EXIT_BAD_LANDING


class BuildLockedError(BuildError):
    """Another build holds a lock of this build."""

    exit_code = EXIT_BUILD_LOCKED

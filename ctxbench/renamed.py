"""Config fields that were renamed. An old name gets an error naming the new one, instead of
pydantic's bare "extra inputs are not permitted" (or, worse, a silently used default)."""

from typing import Any

from pydantic_core import PydanticCustomError


def reject_renamed(data: Any, renames: dict[str, str]) -> Any:
    """For a `model_validator(mode="before")`: raises if `data` uses an old name."""
    if isinstance(data, dict):
        for old, new in renames.items():
            if old in data:
                raise PydanticCustomError("renamed", "`{old}` was renamed `{new}`", {"old": old, "new": new})
    return data

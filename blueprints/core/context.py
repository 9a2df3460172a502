"""The names a stack belongs to (`Context`: project and environment), and the limits they
must fit. Standard library only: the project's loader and the stacks' settings use it
without importing troposphere."""

from __future__ import annotations

import re
from dataclasses import dataclass

from blueprints.core.errors import InvalidName

# Every physical name a blueprint makes starts with `{project}-{environment}-`; S3 bucket
# names are the strictest (lower-case letters, digits, hyphens; 63 characters), and the
# longest is the artifacts bucket `{project}-{environment}-artifacts-{account}-{region}`:
# 39 characters besides the two names with the longest regions (14 characters).
_NAME = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?")
MAX_NAMES_LENGTH = 24
# One of the longest region names the project accepts (no ISO region), and S3's name limit.
LONGEST_REGION = "ap-southeast-1"
BUCKET_NAME_LIMIT = 63
# Cognito domain prefixes (`{project}-{environment}-auth-{account}`) may not contain these.
_RESERVED_WORDS = ("aws", "amazon", "cognito")
_RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")


@dataclass(frozen=True)
class Context:
    """Names a stack belongs to. Used for resource names and tags, never for decisions.

    Both are short lower-case names (letters, digits and inner hyphens, starting with a
    letter), together at most 24 characters: they are part of every physical name,
    S3 bucket names included. Anything else is refused with a ValueError naming it."""

    project: str
    environment: str

    def __post_init__(self) -> None:
        for role in ("project", "environment"):
            value: object = getattr(self, role)
            if not isinstance(value, str) or not _NAME.fullmatch(value):
                raise InvalidName(
                    f"Context {role} {value!r} is not a short lower-case name: use lower-case letters, digits "
                    "and hyphens, starting with a letter and not ending with a hyphen (it is part of every "
                    "physical name, S3 bucket names included)",
                    role=role,
                    value=value,
                )
            reserved = next((word for word in _RESERVED_WORDS if word in value), None)
            if reserved is not None:
                raise InvalidName(
                    f"Context {role} {value!r} contains {reserved!r}: Cognito refuses domain prefixes with "
                    f"{', '.join(map(repr, _RESERVED_WORDS))}, and the identity stack's domain starts with it",
                    role=role,
                    value=value,
                )
        if self.project.startswith(_RESERVED_BUCKET_PREFIXES):
            raise InvalidName(
                f"Context project {self.project!r} starts with a prefix S3 reserves "
                f"({', '.join(_RESERVED_BUCKET_PREFIXES)}): bucket names start with the project",
                role="project",
                value=self.project,
            )
        if len(self.project) + len(self.environment) > MAX_NAMES_LENGTH:
            raise InvalidName(
                f"Context project {self.project!r} and environment {self.environment!r} are "
                f"{len(self.project) + len(self.environment)} characters together, at most {MAX_NAMES_LENGTH}: "
                "the artifacts bucket '{project}-{environment}-artifacts-{account}-{region}' must fit S3's 63",
                role="project",
                value=self.project,
            )

    def name(self, *parts: str) -> str:
        """`{project}-{environment}-{parts...}`: the one naming rule for physical names."""
        return "-".join((self.project, self.environment, *parts))

    def tags(self, stack: str) -> dict[str, str]:
        return {
            "Project": self.project,
            "Environment": self.environment,
            "Stack": stack,
            "ManagedBy": "sceptre-blueprints",
        }

"""The zone stack's settings."""

from __future__ import annotations

from blueprints.core.config import DomainName, RetainData, StackConfig, per_environment


class ZoneConfig(StackConfig):
    """Inputs of the zone stack."""

    domain: DomainName
    existing_hosted_zone_id: str | None = per_environment(
        None,
        pattern=r"^Z[A-Z0-9]{1,32}$",
        description="Use this existing public hosted zone instead of creating one for the domain (default: create).",
    )
    retain_data: RetainData

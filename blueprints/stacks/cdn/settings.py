"""The cdn stack's settings."""

from __future__ import annotations

from pydantic import Field

from blueprints.core.config import DomainName, StackConfig, per_environment


class CdnConfig(StackConfig):
    """Inputs of the cdn stack."""

    domain: DomainName
    price_class: str = Field(
        "PriceClass_100",
        pattern="^PriceClass_(100|200|All)$",
        description="CloudFront edge locations used (default PriceClass_100: North America and Europe).",
    )
    log_prefix: str = Field("cloudfront/", description="Prefix of CloudFront access logs in the logs bucket.")
    hsts_max_age_seconds: int = Field(
        63072000, ge=31536000, description="Strict-Transport-Security max-age (default two years)."
    )
    alarm_5xx_rate_percent: float = per_environment(
        1.0,
        gt=0,
        le=100,
        description="Share of viewer requests answered 5xx, over a minute, that pages (default 1).",
    )

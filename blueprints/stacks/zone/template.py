"""The zone stack's blueprint."""

from __future__ import annotations

from troposphere import GetAtt, Join, Ref, Template, route53

from blueprints.core import Blueprint, add_output, set_removal_policy
from blueprints.stacks.zone.settings import ZoneConfig


class ZoneBlueprint(Blueprint[ZoneConfig]):
    name = "zone"
    description = "Route53 hosted zone and CAA record of the API domain"
    config_model = ZoneConfig

    def define(self, t: Template) -> None:
        cfg = self.config
        zone_id: object
        if cfg.existing_hosted_zone_id is None:
            zone = t.add_resource(
                route53.HostedZone(
                    "HostedZone",
                    Name=cfg.domain,
                    HostedZoneConfig=route53.HostedZoneConfiguration(
                        Comment=f"{self.context.project} {self.context.environment} API; delegate from the parent zone"
                    ),
                )
            )
            set_removal_policy(zone, retain=cfg.retain_data)
            zone_id = Ref(zone)
            add_output(t, "NameServers", Join(",", GetAtt(zone, "NameServers")), "Delegate the domain to these")
        else:
            zone_id = cfg.existing_hosted_zone_id
        t.add_resource(
            route53.RecordSetType(
                "CaaRecord",
                HostedZoneId=zone_id,
                Name=cfg.domain,
                Type="CAA",
                TTL="3600",
                ResourceRecords=['0 issue "amazon.com"', '0 issuewild ";"'],
            )
        )
        add_output(t, "HostedZoneId", zone_id, "Public hosted zone holding the API's records")
        add_output(t, "DomainName", cfg.domain, "The API's domain name")

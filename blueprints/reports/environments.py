"""The environments side by side: every declared setting (rows) by environment (columns), as
the environments table of docs/settings.md."""

from __future__ import annotations

from pydantic import BaseModel

from blueprints.project import EnvironmentSettings, Project


def _item(value: object) -> str:
    """An item of a list setting in one cell: a subscription as `<protocol>: <endpoint>`."""
    if isinstance(value, BaseModel):
        return ": ".join(str(v) for v in value.model_dump().values())
    return str(value)


def settings_table(project: Project) -> str:
    """Markdown table: every declared setting (rows) by environment (columns)."""
    envs = list(project.environments.values())
    rows: list[tuple[str, list[object]]] = [("region", [e.region for e in envs])]
    environment_wide = [key for key in EnvironmentSettings.model_fields if key != "stacks"]
    rows += [(key, [getattr(e.settings, key) for e in envs]) for key in environment_wide]
    declared = {(stack, key) for e in envs for stack, values in e.settings.stacks.items() for key in values}
    # Alarm thresholds are shown even where every environment keeps the default.
    declared |= {
        (stack, key) for e in envs for stack in e.stacks for key in type(e.config(stack)).model_fields
        if key.startswith("alarm_") and key != "alarm_subscriptions"
    }  # fmt: skip
    rows += [
        (f"{stack}.{key}", [getattr(e.config(stack), key) if stack in e.stacks else None for e in envs])
        for stack, key in sorted(declared)
    ]

    def cell(value: object) -> str:
        if isinstance(value, tuple):
            return ", ".join(_item(v) for v in value) or "-"
        return "on" if value is True else "off" if value is False else "-" if value is None else str(value)

    lines = ["| setting | " + " | ".join(e.name for e in envs) + " |", "|---" * (len(envs) + 1) + "|"]
    lines += [f"| `{name}` | " + " | ".join(cell(v) for v in values) + " |" for name, values in rows]
    return "\n".join(lines)

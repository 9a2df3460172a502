"""Sceptre's `generate` and `launch` take a template rendered before from the same code and
files from the template cache, without loading the project; anything else renders afresh."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from blueprints.core import ConfigError
from blueprints.deploy.rendering import render_environment
from blueprints.project.registry import BLUEPRINTS
from blueprints.sceptre import loaded as loaded_module
from blueprints.sceptre import template_cache
from blueprints.sceptre.template_handlers import blueprint as handler
from blueprints.stacks import NAMES


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    place = tmp_path / "cache"
    monkeypatch.setenv(template_cache.CACHE_VARIABLE, str(place))
    return place


def _templates(project: Path) -> dict[str, str]:
    return {stack: found.template for stack, found in render_environment(project, "dev").items()}


def test_an_unchanged_stack_comes_from_the_cache_without_loading_the_project(
    cache: Path, project_copy: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_copy()
    rendered = _templates(project)
    kept = [path.read_text() for path in cache.glob("*.json")]
    assert sorted(t for t in kept if t in rendered.values()) == sorted(rendered.values())
    assert len(rendered) == len(NAMES)

    def refuse(project_dir: object) -> None:
        raise AssertionError("the project was loaded")

    monkeypatch.setattr(handler, "loaded", refuse)
    monkeypatch.setattr(loaded_module, "loaded", refuse)  # what !account_role would load
    assert _templates(project) == rendered


def test_a_changed_file_renders_afresh(cache: Path, project_copy: Callable[..., Path]) -> None:
    project = project_copy()
    before = {stack: template_cache.key(project, "dev", stack, stack) for stack in NAMES}
    config = project / "config" / "dev" / "config.yaml"
    config.write_text(config.read_text() + "# a comment\n")
    after = {stack: template_cache.key(project, "dev", stack, stack) for stack in NAMES}
    assert all(before[stack] != after[stack] for stack in NAMES)
    assert len(set(after.values())) == len(NAMES)  # one key per stack
    assert template_cache.key(project, "dev", "orders", "orders_blueprints:OrdersBlueprint") is None


def test_a_configuration_error_is_never_kept(cache: Path, project_copy: Callable[..., Path]) -> None:
    project = project_copy()
    config = project / "config" / "dev" / "config.yaml"
    config.write_text(config.read_text().replace("environment:", "environment:\n  no_such_setting: 1", 1))
    for _ in range(2):
        with pytest.raises(ConfigError, match="no_such_setting"):
            render_environment(project, "dev")
    assert not list(cache.glob("*.json"))


def test_account_roles_are_kept_with_the_templates(cache: Path, project_copy: Callable[..., Path]) -> None:
    from blueprints.sceptre.resolvers.account_role import AccountRoleResolver  # noqa: PLC0415

    project = project_copy()

    stack = SimpleNamespace(name="dev/network", stack_group_config={"project_path": str(project)})
    resolver = AccountRoleResolver(argument="deploy", stack=stack)
    arn = resolver.resolve()
    assert arn.startswith("arn:aws:iam::") and arn.endswith(":role/payments-dev-deploy")
    assert len(list(cache.glob("*.json"))) == 1
    assert resolver.resolve() == arn  # from the cache
    config = project / "config" / "dev" / "config.yaml"
    config.write_text(config.read_text().replace("account_id: ", "account_id: 9", 1))
    with pytest.raises(ConfigError, match="account_id"):  # a changed file is read again, and refused
        resolver.resolve()


def test_the_cache_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(template_cache.CACHE_VARIABLE, "off")
    assert template_cache.directory() is None
    monkeypatch.delenv(template_cache.CACHE_VARIABLE)
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert template_cache.directory() == Path("/somewhere/payments-blueprints/templates")


def test_the_cache_knows_every_built_in_stack() -> None:
    assert tuple(BLUEPRINTS) == NAMES


def test_a_full_cache_evicts_what_was_used_longest_ago(cache: Path) -> None:
    cache.mkdir()
    for age, name in enumerate(("newest", "read-lately", "old", "oldest")):
        path = cache / f"{name}.json"
        path.write_text("x" * 1000)
        os.utime(path, (time.time() - 60 * age, time.time() - 60 * age))
    assert template_cache.read("read-lately") == "x" * 1000  # a hit counts as a use

    assert template_cache.evict(cache, max_bytes=4000) == []  # within the limit: nothing goes
    removed = template_cache.evict(cache, max_bytes=3000)
    assert sorted(p.name for p in removed) == ["old.json", "oldest.json"]  # down to 3/4 of the limit
    assert sorted(p.name for p in cache.iterdir()) == ["newest.json", "read-lately.json"]


def test_a_write_keeps_the_cache_within_its_limit_and_clears_abandoned_writes(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(template_cache, "MAX_BYTES", 2500)
    cache.mkdir()
    abandoned, staging = cache / ".0123456789ab-dead", cache / ".ba9876543210-live"
    for path in (abandoned, staging):
        path.write_text("partial")
    os.utime(abandoned, (time.time() - 7200, time.time() - 7200))
    for number in range(5):
        template_cache.write(f"{number:064x}", "y" * 1000)
        os.utime(cache / f"{number:064x}.json", (time.time() - 100 + number, time.time() - 100 + number))
    kept = sorted(p.name for p in cache.glob("*.json"))
    assert sum((cache / name).stat().st_size for name in kept) <= 2500
    assert f"{4:064x}.json" in kept and f"{0:064x}.json" not in kept
    assert not abandoned.exists() and staging.exists()  # another process may be writing that one

"""docs/reference.md: every setting, described from the config models, kept current."""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import re
import sys
import types
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

import pytest
from awacs import dynamodb as awsddb
from pydantic import AfterValidator, BaseModel, Field, model_validator
from troposphere import Ref

from blueprints.core import LogRetentionDays, PositiveInt, StackConfig, VpcCidr, per_environment
from blueprints.project import BLUEPRINTS, EnvironmentSettings, SharedSettings
from blueprints.reports.reference import (
    INVARIANT,
    PER_ENVIRONMENT,
    block_options,
    blocks_section,
    build,
    describe_type,
    describe_value,
    environment_settings,
    model_settings,
    stack_settings,
)
from scripts.reference import PAGE, main


def _rows(page: str) -> dict[str, list[str]]:
    """Setting name -> [type, default, varies, meaning], from the page's tables."""
    found = {}
    for line in page.partition("## Building blocks")[0].splitlines():
        match = re.match(r"^\| `([\w.]+)` \| (.*) \|$", line)
        if match:
            found[match[1]] = re.split(r"(?<!\\) \| ", match[2])
    return found


def test_the_reference_is_current():
    assert PAGE.read_text() == build(), "run: make report"


def test_the_script_checks_and_prints(capsys):
    assert main(["--check"]) == 0
    assert main([]) == 0
    assert capsys.readouterr().out == build()


def test_every_field_of_every_config_model_is_in_it():
    rows = _rows(PAGE.read_text())
    for field in EnvironmentSettings.model_fields:
        assert field in rows, field
    for stack, blueprint in BLUEPRINTS.items():
        for field in blueprint.config_model.model_fields:
            assert f"{stack}.{field}" in rows, f"{stack}.{field}"
    assert all(len(cells) == 4 and all(cells) for cells in rows.values())


def test_per_environment_and_invariant_are_told_apart():
    rows = _rows(PAGE.read_text())
    assert rows["network.cidr"][2] == PER_ENVIRONMENT
    assert rows["functions.log_level"][2] == INVARIANT
    assert rows["functions.memory_mb"][2] == PER_ENVIRONMENT
    assert rows["identity.mfa"][2] == INVARIANT
    for stack, blueprint in BLUEPRINTS.items():
        varying = set(blueprint.config_model.per_environment_fields())
        for field in blueprint.config_model.model_fields:
            assert (rows[f"{stack}.{field}"][2] == PER_ENVIRONMENT) == (field in varying), f"{stack}.{field}"


def test_environment_wide_settings_are_filled_in_not_set_per_stack():
    rows = _rows(PAGE.read_text())
    for stack, blueprint in BLUEPRINTS.items():
        for field in blueprint.config_model.model_fields.keys() & SharedSettings.model_fields.keys():
            assert rows[f"{stack}.{field}"][1] == f"filled from `{field}`"
            assert f"`{stack}`" in rows[field][3]
    assert rows["network.nat_gateways"][1] == "required"
    assert rows["identity.mfa"][1] == "`OPTIONAL`"


def test_no_python_reprs_leak_into_the_page():
    page = PAGE.read_text()
    for leak in ("AfterValidator(", "<function", "FieldInfo(", "annotation=", "typing.", "PydanticUndefined"):
        assert leak not in page, leak


def test_types_are_written_for_a_person():
    rows = _rows(build())
    assert rows["functions.timeout_seconds"][0] == "integer 1-29"
    assert rows["data.alarm_throttle_events"][0] == "integer >= 1"
    assert rows["identity.mfa"][0] == "one of OFF, OPTIONAL, ON"
    assert rows["functions.log_level"][0] == "one of DEBUG, INFO, WARNING, ERROR"
    assert rows["functions.allowed_currencies"][0].startswith("list of EUR, USD, GBP, ")
    assert rows["network.log_retention_days"][0].startswith("log retention days: one of 1, 3, 5, 7, 14, ")
    assert rows["network.cidr"][0].startswith("vpc cidr: ")
    assert rows["api.throttling_rate_limit"][0] == "number > 0"
    assert rows["api.stage_name"][0] == "text matching `^[a-z][a-z0-9]{0,15}$`"
    assert rows["network.flow_log_traffic"][0] == "one of ALL, REJECT, ACCEPT"


@pytest.mark.parametrize(
    ("annotation", "metadata", "expected"),
    [
        (bool, [], "true or false"),
        (int, [Field(ge=2, le=3)], "integer 2-3"),
        (int, [Field(gt=0, lt=10)], "integer 1-9"),
        (float, [Field(gt=0, le=1.5)], "number > 0 and <= 1.5"),
        (Decimal, [Field(max_digits=5, decimal_places=2)], "decimal, at most 5 digits, at most 2 decimal places"),
        (str, [Field(min_length=1, max_length=8)], "text (at least 1 and at most 8 characters)"),
        (str, [Field(pattern="^p-(a|b)$")], "one of p-a, p-b"),
        (int, [Field(multiple_of=5)], "integer, a multiple of 5"),
        (str | None, [], "text, or null (unset)"),
        (int | str, [], "integer or text"),
        (tuple[str, ...], [Field(min_length=1)], "list of text (at least 1 item)"),
        (tuple[str, int], [], "(text, integer)"),
        (tuple[Literal["a", "b"], ...], [], "list of a, b"),
        (tuple[Annotated[int, Field(ge=1, le=2)], ...], [], "list of integer 1-2"),
        (tuple[int | str, ...], [], "list of integer or text"),
        (list[tuple[int, str]], [], "list of (integer, text)"),
        (dict[str, int], [], "mapping of text to integer"),
        (dict, [], "mapping of any value to any value"),
        (Any, [], "any value"),
        (PositiveInt, [], "integer >= 1"),
        (Annotated[int, Field(ge=1), Field(le=5)], [], "integer 1-5"),
        (SharedSettings, [], "`SharedSettings`"),
        (object, [], "any value"),
        (Decimal | None, [], "decimal, or null (unset)"),
        ("Unresolved", [], "`Unresolved`"),
    ],
)
def test_describe_type(annotation, metadata, expected):
    assert describe_type(annotation, metadata) == expected


def _even(value: int) -> int:
    """Even numbers only."""
    if value % 2:
        raise ValueError("odd")
    return value


def _undocumented(value: str) -> str:
    if not value.startswith("x"):
        raise ValueError("no x")
    return value


_ALLOWED = ("red", "green")


def _in_allowed(value: str) -> str:
    if value not in _ALLOWED:
        raise ValueError("no")
    return value


def _subset(value: str) -> str:  # refers to _ALLOWED, accepts more: not an allow-list
    if value in _ALLOWED:
        return value
    return value.lower()


EvenNumber = Annotated[int, AfterValidator(_even)]
Colour = Annotated[str, AfterValidator(_in_allowed)]


def test_validators_are_described_by_their_docstring_allow_list_or_name():
    assert describe_type(EvenNumber) == "even number: integer; even numbers only."
    assert describe_type(Colour) == "colour: one of red, green"
    assert describe_type(Annotated[str, AfterValidator(_undocumented)]) == (
        "text, checked by `_undocumented` (its rule: see the meaning)"
    )
    assert describe_type(Annotated[str, AfterValidator(_subset)]).endswith("(its rule: see the meaning)")
    assert describe_type(LogRetentionDays).startswith("log retention days: one of 1, 3, 5, ")
    assert (
        describe_type(VpcCidr)
        == "vpc cidr: text; an IPv4 network in CIDR notation, /16 to /24, inside a private (RFC 1918) range."
    )
    assert describe_type(Annotated[int, object()]) == "integer (also `object`)"


class _Example(StackConfig):
    """An example."""

    size: int = per_environment(3, ge=1, description="How many.")
    name: str = Field("a", description="A name.")
    items: tuple[str, ...] = Field(default_factory=tuple)
    log_retention_days: LogRetentionDays


def test_model_settings():
    size, name, items, retention = model_settings(_Example, "example")
    assert (size.name, size.type, size.default, size.scope) == ("example.size", "integer >= 1", "3", PER_ENVIRONMENT)
    assert (name.default, name.scope, name.meaning) == ("`a`", INVARIANT, "A name.")
    assert (items.default, items.meaning) == ("empty list", "(no description)")
    assert (retention.default, retention.filled_from) == ("filled from `log_retention_days`", "log_retention_days")
    plain = model_settings(_Example)[3]
    assert (plain.name, plain.default, plain.filled_from) == ("log_retention_days", "required", None)


def test_environment_settings_vary_as_the_stacks_that_declare_them_allow():
    class Fixed(StackConfig):
        """Takes the domain as an invariant."""

        domain: str = Field(description="d")

    class FixedBlueprint(BLUEPRINTS["zone"]):  # type: ignore[misc, valid-type]
        config_model = Fixed

    by_name = {s.name: s for s in environment_settings({"fixed": FixedBlueprint})}
    assert by_name["domain"].scope == INVARIANT
    assert by_name["domain"].meaning.endswith("Filled into: `fixed`.")
    assert by_name["protect_stacks"].scope == PER_ENVIRONMENT
    assert [s.name for s in stack_settings("fixed", {"fixed": FixedBlueprint})] == ["fixed.domain"]


def test_describe_value():
    assert describe_value(None) == "none (unset)"
    assert describe_value(True) == "true"
    assert describe_value("") == "empty text"
    assert describe_value(("a", 1)) == "`a`, 1"
    assert describe_value({}) == "empty mapping"
    assert describe_value({"k": False}) == "k: false"
    assert describe_value(Decimal("1.50")) == "1.50"
    assert describe_value(object()) == "`object` value"
    assert describe_value(Ref("Bucket")) == '`{"Ref": "Bucket"}`'
    assert describe_value(awsddb.GetItem) == "`dynamodb:GetItem`"
    assert describe_value(ipaddress.IPv4Network("10.0.0.0/8")) == "`10.0.0.0/8`"


def test_cross_field_validators_are_named():
    rows = _rows(build())
    assert "also checked by `NetworkConfig._nat_within_azs`" in rows["network.nat_gateways"][0]


# --- building blocks ----------------------------------------------------------------------


class _Options(BaseModel):
    """Options of a block."""

    read_capacity: PositiveInt = Field(5, description="Read capacity units.")
    billing: Literal["PROVISIONED", "PAY_PER_REQUEST"] = Field("PROVISIONED", description="How it is billed.")


class _Block:
    """A table block.

    Adds a table to a template.
    """

    Options: ClassVar[type[BaseModel]] = _Options

    def __init__(self, template: object, logical_id: str, **options: Any) -> None:
        """Make it.

        logical_id: the table's logical ID.
        """


@dataclasses.dataclass
class _Grant:
    """A grant.

    Attributes:
        actions: the actions granted,
            every one of them.
    """

    principal: str = dataclasses.field(metadata={"description": "Who."})
    actions: tuple[str, ...] = dataclasses.field(default_factory=tuple)
    note: str = "n"


def _helper(name: str, count: int = 2) -> None:
    """Helps.

    :param name: the name.
    """


@pytest.fixture
def blocks(monkeypatch):
    module = types.ModuleType("blueprints.blocks")
    module.__all__ = ["_Block", "_Grant", "_helper", "_Options", "LIMIT"]  # type: ignore[attr-defined]
    module.__dict__.update(_Block=_Block, _Grant=_Grant, _helper=_helper, _Options=_Options, LIMIT=3)
    monkeypatch.setitem(sys.modules, "blueprints.blocks", module)
    return module


def test_building_blocks_are_listed_with_their_options(blocks):
    section = "\n".join(blocks_section())
    assert "## Building blocks" in section
    assert "### `_Block`\n\nA table block." in section
    assert "Adds a table" not in section  # the first paragraph only
    assert "| `read_capacity` | integer >= 1 | 5 | Read capacity units. |" in section
    assert "| `billing` | one of PROVISIONED, PAY_PER_REQUEST | `PROVISIONED` | How it is billed. |" in section
    assert "| `logical_id` | text | required | the table's logical ID. |" in section
    assert "| `template` | any value | required | (undocumented) |" in section
    assert "| `principal` | text | required | Who. |" in section
    assert "| `actions` | list of text | empty list | the actions granted, every one of them. |" in section
    assert "| `count` | integer | 2 | (undocumented) |" in section
    assert "| `name` | text | required | the name. |" in section
    assert "### `LIMIT`\n\nA constant: 3." in section
    assert section in build()


def test_block_options_of_other_things():
    assert block_options(3) == []
    assert block_options(ValueError) == []  # no signature: nothing to document
    names = [o.name for o in block_options(_Options)]
    assert names == ["read_capacity", "billing"]


def test_no_blocks_module_no_section(monkeypatch):
    assert blocks_section("blueprints.no_such_blocks") == []
    empty = types.ModuleType("blueprints.empty_blocks")
    monkeypatch.setitem(sys.modules, "blueprints.empty_blocks", empty)
    assert blocks_section("blueprints.empty_blocks") == []


def test_a_blocks_module_that_fails_to_import_is_not_hidden(monkeypatch, tmp_path):
    (tmp_path / "broken_blocks_for_test.py").write_text("import no_such_dependency_for_test\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_for_test"):
        blocks_section("broken_blocks_for_test")


class _Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class _Checked(BaseModel):
    low: int = Field(default_factory=lambda data: 1)  # a factory that takes the validated data
    high: int = 2

    @model_validator(mode="after")
    def _ordered(self) -> _Checked:
        """Low is below high."""
        return self


def test_more_types_and_defaults():
    assert describe_type(_Colour) == "one of red, blue"
    assert describe_type(Literal[_Colour.RED]) == "one of red"
    assert describe_type(ipaddress.IPv4Network) == "IPv4 network"
    assert describe_type(Callable[[int], int]) == "`Callable`"
    assert describe_type(Annotated[str, AfterValidator(str.strip)]).startswith("text; return a copy of the string")
    low, high = model_settings(_Checked)
    assert low.default.startswith("computed by ")
    assert high.default == "2"


def test_cross_field_model_validators_are_listed():
    class _Blueprint(BLUEPRINTS["zone"]):  # type: ignore[misc, valid-type]
        config_model = _Checked
        description = "Checked"

    page = build({"checked": _Blueprint}, blocks="blueprints.no_such_blocks")
    assert "- checked across its settings by `_Checked._ordered`: Low is below high." in page
    assert "## Building blocks" not in page


class _Unshowable:
    def to_dict(self) -> dict[str, str]:
        raise ValueError("cannot")


@dataclasses.dataclass
class _Odd:
    """Odd options."""

    hidden: int = dataclasses.field(init=False, default=0)
    made: list[int] = dataclasses.field(default_factory=lambda: [int("x")])
    later: Unknown = None  # type: ignore[name-defined]  # noqa: F821 - resolved nowhere


def test_odd_options_are_still_described():
    assert describe_value(_Unshowable()) == "`_Unshowable` value"
    made, later = block_options(_Odd)
    assert (made.name, made.default) == ("made", "computed by `_Odd.<lambda>`")
    assert (later.name, later.type) == ("later", "`Unknown`")


def test_public_names_without_all(monkeypatch):
    module = types.ModuleType("blueprints.loose_blocks")
    _Grant.__module__ = "blueprints.loose_blocks"
    module.__dict__.update(Grant=_Grant, imported=re.compile)
    monkeypatch.setitem(sys.modules, "blueprints.loose_blocks", module)
    section = "\n".join(blocks_section("blueprints.loose_blocks"))
    assert "### `Grant`" in section
    assert "imported" not in section

"""What every building block shares: typed, documented options checked when the block is
made, and errors that name the block, its logical ID and the option.

Every block module names things one way: a block `<Block>` takes `<Block>Options`; the module's
`__all__` lists what other code may use (its blocks and their options, the references, helpers
and types around them) and every other name at its top level starts with `_`."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError
from troposphere import Template


class BlockError(ValueError):
    """A building block was given options it refuses, named: block, logical ID, option."""


class Options(BaseModel):
    """A block's options: every field has a description and, where optional, a default.
    CloudFormation values (a string or an intrinsic function such as Ref) are `object`."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Block:
    """A building block: adds its resources to a template when made.

    Subclasses set `Options` (a subclass of `Options` named `<Block>Options`) and implement
    `build()`; the validated options are `self.options`.
    """

    Options: ClassVar[type[Options]]

    def __init__(self, template: Template, logical_id: str, **options: Any) -> None:
        try:
            self.options = self.Options(**options)
        except ValidationError as err:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(options)'}: {e['msg']}" for e in err.errors()
            )
            raise BlockError(f"{type(self).__name__} {logical_id!r}: {problems}") from None
        self.template = template
        self.logical_id = logical_id
        self.build()

    def build(self) -> None:
        raise NotImplementedError


__all__ = [
    "Block",
    "BlockError",
    "Options",
]

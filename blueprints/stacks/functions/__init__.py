"""Functions: per function an IAM role (least privilege), its log group (the one place its
retention is set) and the Lambda function itself, in the private subnets.

Where the environment asks for customer-managed keys, the stack's own key `FunctionsKey`
encrypts the functions' environments, log groups and the cursor secret, and each role may
decrypt the tables' key (the data stack's, by its alias) through DynamoDB.

Secrets Manager rotates the cursor signing key on a schedule through the `secret-rotator`
function (lambda_code/secret_rotator), which is not behind the API.

Every function is invoked through its `live` alias (the API's integrations and permissions
name it, and so does the rotation schedule), on a version published whenever its package or
its versioned configuration changes (`blueprints.blocks.LiveAlias`). `deployment` says how a
new version takes the alias's traffic: at once, or gradually by CodeDeploy, stopped and
rolled back when the deployment fails or one of the function's alarms fires. Each function
has four alarms (errors, throttles, duration near its timeout, concurrency near its
reservation) telling the environment's alarm topic; `function_alarm_names` lists them for
the monitoring stack's composite alarm.

Its `settings` module holds the config model and what other code reads of the stack without
building it; its `catalogue` the functions it deploys (their table actions are awacs
objects, which settings do not import); its `template` module the blueprint. Each name below is imported on first use
(see `blueprints.stacks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blueprints.core.lazy import lazy_exports

if TYPE_CHECKING:
    from blueprints.stacks.functions.catalogue import (
        ALARM_SIGNALS,
        DEPLOYED,
        FUNCTIONS,
        SECRET_ROTATOR,
        AlarmSignal,
        FunctionSpec,
        TableAccess,
        function_alarm_name,
        function_alarm_names,
    )
    from blueprints.stacks.functions.settings import (
        ARCHITECTURE,
        HANDLER,
        LIVE_ALIAS,
        ROTATOR_MEMORY_MB,
        ROTATOR_RESERVED_CONCURRENCY,
        ROTATOR_TIMEOUT_SECONDS,
        RUNTIME,
        VERSIONED_INPUTS,
        Currency,
        FunctionsConfig,
    )
    from blueprints.stacks.functions.template import FunctionsBlueprint

_EXPORTS = {
    "ARCHITECTURE": "blueprints.stacks.functions.settings",
    "HANDLER": "blueprints.stacks.functions.settings",
    "LIVE_ALIAS": "blueprints.stacks.functions.settings",
    "ROTATOR_MEMORY_MB": "blueprints.stacks.functions.settings",
    "ROTATOR_RESERVED_CONCURRENCY": "blueprints.stacks.functions.settings",
    "ROTATOR_TIMEOUT_SECONDS": "blueprints.stacks.functions.settings",
    "RUNTIME": "blueprints.stacks.functions.settings",
    "VERSIONED_INPUTS": "blueprints.stacks.functions.settings",
    "Currency": "blueprints.stacks.functions.settings",
    "FunctionsConfig": "blueprints.stacks.functions.settings",
    "ALARM_SIGNALS": "blueprints.stacks.functions.catalogue",
    "DEPLOYED": "blueprints.stacks.functions.catalogue",
    "FUNCTIONS": "blueprints.stacks.functions.catalogue",
    "SECRET_ROTATOR": "blueprints.stacks.functions.catalogue",
    "AlarmSignal": "blueprints.stacks.functions.catalogue",
    "FunctionSpec": "blueprints.stacks.functions.catalogue",
    "TableAccess": "blueprints.stacks.functions.catalogue",
    "function_alarm_name": "blueprints.stacks.functions.catalogue",
    "function_alarm_names": "blueprints.stacks.functions.catalogue",
    "FunctionsBlueprint": "blueprints.stacks.functions.template",
}

__all__ = [
    "ALARM_SIGNALS",
    "ARCHITECTURE",
    "DEPLOYED",
    "FUNCTIONS",
    "HANDLER",
    "LIVE_ALIAS",
    "ROTATOR_MEMORY_MB",
    "ROTATOR_RESERVED_CONCURRENCY",
    "ROTATOR_TIMEOUT_SECONDS",
    "RUNTIME",
    "SECRET_ROTATOR",
    "VERSIONED_INPUTS",
    "AlarmSignal",
    "Currency",
    "FunctionSpec",
    "FunctionsBlueprint",
    "FunctionsConfig",
    "TableAccess",
    "function_alarm_name",
    "function_alarm_names",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

"""The functions the stack deploys (the same in every environment), what each may do on the
tables, and their alarms' names: what the api and monitoring stacks, the emulator and the
tests read of the functions without building the stack. Apart from the settings because
the tables' actions are awacs objects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

from awacs import dynamodb as awsddb
from awacs.aws import Action

from blueprints.stacks.data.settings import CUSTOMER_INDEX

if TYPE_CHECKING:
    from blueprints.core.context import Context


@dataclass(frozen=True)
class TableAccess:
    """What one function may do on one table (and which of its indexes it queries)."""

    table: str  # parameter prefix: "Transactions" -> TransactionsTableName / TransactionsTableArn
    env_var: str
    actions: tuple[Action, ...]
    indexes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FunctionSpec:
    """One deployed function. The catalogue below is the same in every environment."""

    title: str  # logical-ID prefix, e.g. "PaymentProcessor"
    name: str  # physical-name suffix, e.g. "payment-processor"
    source_dir: str  # folder under lambda_code/
    description: str
    tables: tuple[TableAccess, ...]
    settings_in_environment: tuple[str, ...] = ()  # FunctionsConfig fields exported as env vars
    reads_cursor_secret: bool = False  # gets CURSOR_SECRET_ARN and may read that one secret
    provisioned: bool = False  # its live alias gets `provisioned_concurrency` (the payments path)

    @property
    def code_key_parameter(self) -> str:
        return f"{self.title}CodeKey"


FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        title="PaymentProcessor",
        name="payment-processor",
        source_dir="payment_processor",
        description="Records and reads payment transactions",
        tables=(
            TableAccess(
                "Transactions",
                "TRANSACTIONS_TABLE",
                (awsddb.PutItem, awsddb.GetItem, awsddb.Query),
                indexes=(CUSTOMER_INDEX,),
            ),
            TableAccess("Idempotency", "IDEMPOTENCY_TABLE", (awsddb.PutItem, awsddb.GetItem)),
        ),
        settings_in_environment=("max_payment_amount", "allowed_currencies", "idempotency_ttl_seconds"),
        reads_cursor_secret=True,
        provisioned=True,
    ),
    FunctionSpec(
        title="SessionManager",
        name="session-manager",
        source_dir="session_manager",
        description="Creates, reads and ends customer sessions",
        tables=(TableAccess("Sessions", "SESSIONS_TABLE", (awsddb.PutItem, awsddb.GetItem, awsddb.DeleteItem)),),
        settings_in_environment=("session_ttl_seconds",),
    ),
)


# Not behind the API: Secrets Manager invokes it to rotate the cursor signing key.
SECRET_ROTATOR = FunctionSpec(
    title="SecretRotator",
    name="secret-rotator",
    source_dir="secret_rotator",
    description="Rotates the cursor signing key (Secrets Manager rotation steps)",
    tables=(),
)
# Every function the stack deploys, each with its own package, role and log group.
DEPLOYED: tuple[FunctionSpec, ...] = (*FUNCTIONS, SECRET_ROTATOR)


# What each function's alarms watch, in the order of their names' last part.
AlarmSignal = Literal["errors", "throttles", "duration", "concurrency"]
ALARM_SIGNALS: tuple[AlarmSignal, ...] = get_args(AlarmSignal)


def function_alarm_name(context: Context, spec: FunctionSpec, signal: AlarmSignal) -> str:
    """`<project>-<env>-<function>-<signal>`, e.g. payments-prod-payment-processor-errors."""
    return context.name(spec.name, signal)


def function_alarm_names(context: Context) -> list[str]:
    """The names of every function alarm of the environment (each function of `DEPLOYED`,
    each signal of `ALARM_SIGNALS`), in the functions stack's region: what a composite alarm
    combines. Names, not ARNs: they follow from the context alone."""
    return [function_alarm_name(context, spec, signal) for spec in DEPLOYED for signal in ALARM_SIGNALS]

"""The module paths before the layout by layer still import for one release: each warns,
names its new modules, and holds the same objects as they do."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from blueprints._moved import MOVED
from tests.conftest import ROOT

# The public names each old module defined (its own classes, functions and constants).
OLD_NAMES = {
    "api": (
        "ACCESS_LOG_FORMAT ApiBlueprint ApiConfig GATEWAY_RESPONSES GATEWAY_RESPONSE_HEADERS "
        "api_alarm_name api_alarm_names"
    ),
    "bootstrap": (
        "BootstrapBlueprint BootstrapConfig MANAGED_POLICY_LIMIT STACK_ACTIONS "
        "STACK_ACTIONS_WITHOUT_RESOURCE bootstrap_stack_name cloudformation_role_name deploy_role_name "
        "role_arn"
    ),
    "cdn": "CdnBlueprint CdnConfig",
    "certificate": "CLOUDFRONT_CERTIFICATE_REGION CertificateBlueprint CertificateConfig",
    "data": (
        "CUSTOMER_INDEX DataBlueprint DataConfig OPERATIONS OnDemand Provisioned TABLES table_alarm_name "
        "table_alarm_names table_name"
    ),
    "edge": "EDGE_REGION EdgeBlueprint EdgeConfig ORIGIN_SECRET_KEYS origin_secret_name",
    "functions": (
        "ALARM_SIGNALS ARCHITECTURE AlarmSignal Currency DEPLOYED FUNCTIONS FunctionSpec "
        "FunctionsBlueprint FunctionsConfig HANDLER LIVE_ALIAS ROTATOR_MEMORY_MB "
        "ROTATOR_RESERVED_CONCURRENCY ROTATOR_TIMEOUT_SECONDS RUNTIME SECRET_ROTATOR TableAccess "
        "VERSIONED_INPUTS function_alarm_name function_alarm_names"
    ),
    "identity": "IdentityBlueprint IdentityConfig auth_domain_prefix token_url",
    "monitoring": "MonitoringBlueprint MonitoringConfig composite_members unhealthy_alarm_name",
    "network": (
        "GATEWAY_SERVICES NetworkBlueprint NetworkConfig PREFIX_LIST_ID_PATTERN PREFIX_LIST_PARAMETERS "
        "SECRET_ACTIONS TABLE_DATA_ACTIONS"
    ),
    "storage": "ACCESS_LOG_PREFIX StorageBlueprint StorageConfig",
    "zone": "ZoneBlueprint ZoneConfig",
    "accounts": "BootstrapError WrongAccountError assume bootstrap check_account deploy_session",
    "packaging": (
        "ArtifactStore EXPIRES_AT Package RESIGN_WITHIN SIGNED_PREFIX SIGNING_JOBS_PREFIX SigningFailed "
        "ZIP_EPOCH build_package install_requirements zip_directories"
    ),
    "guard": (
        "DestructiveChange NEVER_STATEFUL_TYPES REPLACING RETAINING_DELETION_POLICIES STATEFUL_TYPES "
        "create_only_properties destructive_changes destructive_changes_in_change_set is_stateful "
        "updates_in_steps"
    ),
    "preflight": (
        "CHECKS COMPLETE CONCURRENCY_QUOTA_CODE Call CallFailed DNS_RESOLVER_VARIABLE Problem "
        "SERVICE_LINKED_ROLES UNRESERVED_MINIMUM as_caller delegation preflight public_name_servers "
        "session_caller zone_name_servers"
    ),
    "verify": (
        "CHECKED_ALARM Check Endpoints Reply VERIFY_PREFIX VerificationError public_endpoints send stack_outputs verify"
    ),
    "recover": "Outcome RecoveryFailed SETTLED recover",
    "teardown": (
        "ACM_VALIDATION_DOMAIN ATTEMPTS DELETE_BATCH GONE LAMBDA_INTERFACES RETAINED TeardownFailed "
        "TeardownRefused refusal teardown"
    ),
    "reference": (
        "BLOCKS_MODULE INVARIANT Option PER_ENVIRONMENT Setting block_options blocks_section build "
        "describe_type describe_value environment_settings model_settings stack_settings"
    ),
    "openapi": "Server backoffice_scheme document render",
    "costs": "ANY_REGION Charge HOURS_PER_MONTH PRICES Price charges environment_charges table total",
    "consistency": "ConsistencyReport Difference NEUTRAL_NAME check flatten format_report render",
    "environments": (
        "ANY_STACK BLUEPRINTS DATA_KEEPING_SETTINGS ENTRY_POINT_GROUP Environment EnvironmentSettings "
        "Project STORAGE_DATA_KEEPING_SETTINGS SharedSettings blueprint_class load_project settings_table"
    ),
    "config_locations": "ANY_STACK Location locate",
    "errors": "ConfigError InvalidName",
    "permissions": (
        "HANDLERS LEFT_OUT ROLE_ACTIONS SERVICES SERVICE_LINKED_ROLE_ACTIONS UnknownPermission grouped "
        "handler_permissions iam_actions left_out"
    ),
    "sceptre_adapter": (
        "ALLOW_ALL_UPDATES ANY_STACK AccountRoleResolver BlueprintConfigError BlueprintHandler "
        "CHANGE_SET_WAIT_SECONDS ChangeSetFailed CheckAccountHook DestructiveChangeRefused DigestResolver "
        "FunctionPackageResolver GuardStatefulResourcesHook ManagedPrefixListNotFound "
        "ManagedPrefixListResolver OriginVerifyResolver PROTECTABLE_STATUSES PreflightFailed "
        "PreflightHook ProtectStackHook RenderedStack UpdateInSteps ValidateEnvironmentHook WrongAccount "
        "change_set_changes dependency_depth override_stack_policy_for_next_update render_environment "
        "reported stack_policy"
    ),
}


def test_every_old_module_is_served():
    assert {f"blueprints.{name}" for name in OLD_NAMES} == set(MOVED)


@pytest.mark.parametrize("old", sorted(OLD_NAMES))
def test_an_old_path_imports_warns_and_holds_the_same_objects(old, monkeypatch):
    path = f"blueprints.{old}"
    monkeypatch.delitem(sys.modules, path, raising=False)
    with pytest.warns(DeprecationWarning, match=rf"{path} is deprecated .* import from blueprints\."):
        module = importlib.import_module(path)
    new = [importlib.import_module(target) for target in MOVED[path]]
    for name in OLD_NAMES[old].split():
        owner = next((m for m in new if hasattr(m, name)), None)
        assert owner is not None, f"{path}.{name} is in none of {MOVED[path]}"
        assert getattr(module, name) is getattr(owner, name), f"{path}.{name}"
    from_import: dict[str, object] = {}
    first = OLD_NAMES[old].split()[0]
    exec(f"from {path} import {first}", from_import)
    assert from_import[first] is getattr(module, first)


def test_the_warning_points_at_the_importing_line(tmp_path):
    script = tmp_path / "user.py"
    script.write_text("import warnings\nwarnings.simplefilter('always')\nimport blueprints.api\n")
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, cwd=ROOT, timeout=60
    )
    assert f"{script}:3: DeprecationWarning: blueprints.api is deprecated" in result.stderr
    assert "blueprints.stacks.api" in result.stderr


def test_new_paths_do_not_warn(tmp_path):
    code = "import warnings\nwarnings.simplefilter('error')\nimport blueprints.stacks.api, blueprints.project.loader"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)

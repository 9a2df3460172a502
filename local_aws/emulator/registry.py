"""The one place that makes moto the emulator: every CloudFormation model the emulator adds
(services/, one module per service, and code signing's), every patch of moto's own models and
APIs (patches/, one module per service), and the AWS behaviours moto lacks, registered in the
order they build on each other. `python -m local_aws.emulator.server` calls `register()` before
serving; nothing else registers anything."""

from __future__ import annotations

from collections.abc import Callable

from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel

from local_aws.emulator import (
    alarm_actions,
    change_sets,
    deletion_rules,
    dynamodb_transactions,
    lambda_limits,
    protection,
    signing,
    stack_lifecycle,
)
from local_aws.emulator.patches import apigateway as apigateway_patches
from local_aws.emulator.patches import awslambda as lambda_patches
from local_aws.emulator.patches import cloudformation as cloudformation_patches
from local_aws.emulator.patches import dynamodb as dynamodb_patches
from local_aws.emulator.patches import ec2 as ec2_patches
from local_aws.emulator.patches import iam as iam_patches
from local_aws.emulator.patches import route53 as route53_patches
from local_aws.emulator.patches import s3 as s3_patches
from local_aws.emulator.services import (
    acm,
    apigateway,
    applicationautoscaling,
    awslambda,
    cloudfront,
    cloudwatch,
    codedeploy,
    cognito,
    s3,
    secretsmanager,
    sns,
    wafv2,
)

# Every model, by the module that defines it (importing a module is what lets moto's
# CloudFormation find its models: it reads CloudFormationModel's direct subclasses).
MODELS: tuple[type[CloudFormationModel], ...] = (
    *acm.MODELS,
    *apigateway.MODELS,
    *applicationautoscaling.MODELS,
    *awslambda.MODELS,
    *cloudfront.MODELS,
    *cloudwatch.MODELS,
    *codedeploy.MODELS,
    *cognito.MODELS,
    *s3.MODELS,
    *secretsmanager.MODELS,
    *signing.MODELS,
    *sns.MODELS,
    *wafv2.MODELS,
)

# In order: code signing first (it wraps moto's function and bucket models, which protection
# wraps again), the models checked, moto's own models and APIs patched, then the behaviours;
# deletion rules last (they wrap stack deletion and the certificate model).
REGISTRATIONS: tuple[Callable[[], None], ...] = (
    signing.register,
    lambda: check_models(MODELS),
    cloudformation_patches.register,
    lambda_patches.register,
    route53_patches.register,
    s3_patches.register,
    iam_patches.register,
    ec2_patches.register,
    apigateway_patches.register,
    stack_lifecycle.register,
    change_sets.register,
    protection.register,
    lambda_limits.register,
    alarm_actions.register,
    dynamodb_transactions.register,
    dynamodb_patches.register,  # a query reads its own items, not the whole table sorted
    deletion_rules.register,
)


def check_models(models: tuple[type[CloudFormationModel], ...]) -> None:
    """Make moto's CloudFormation read its model registry afresh (it is cached) and check that
    each type is served by the emulator's model, not by moto's own (AWS::Lambda::Version)."""
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    registered = parsing.get_model_map()
    missing = [m.cloudformation_type() for m in models if registered.get(m.cloudformation_type()) is not m]
    if missing:
        raise RuntimeError(f"emulated CloudFormation models not the ones moto's CloudFormation uses: {missing}")


def register() -> None:
    """Everything the emulator adds to moto, once per process, in order."""
    for registration in REGISTRATIONS:
        registration()

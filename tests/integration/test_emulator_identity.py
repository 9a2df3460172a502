"""The emulator's identity support: Cognito and API Gateway authorizer resources created by
CloudFormation and read back through the service APIs, and the OAuth2 token endpoint
(client credentials) verified against the pool's JWKS over HTTP."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid

import jwt
import pytest

from local_aws.client import control
from tests.integration.conftest import tooling_client

pytestmark = pytest.mark.integration

# A region no environment of the project uses, so these stacks never meet theirs.
REGION = "ap-southeast-2"
ACCOUNT = "123456789012"
LAMBDA_URI = (
    f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:payments/invocations"
)
PASSWORD = "Correct-Horse-9battery"


def _identity_template(suffix: str) -> dict:
    pool = {"Ref": "Pool"}
    api = {"Ref": "Api"}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Pool": {
                "Type": "AWS::Cognito::UserPool",
                "Properties": {
                    "UserPoolName": f"payments-{suffix}",
                    "Policies": {
                        "PasswordPolicy": {
                            "MinimumLength": 12,
                            "RequireLowercase": True,
                            "RequireUppercase": True,
                            "RequireNumbers": True,
                            "RequireSymbols": False,
                            "TemporaryPasswordValidityDays": 3,
                        }
                    },
                    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
                    "MfaConfiguration": "OPTIONAL",
                    "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
                    "UsernameConfiguration": {"CaseSensitive": False},
                    "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
                    "AutoVerifiedAttributes": ["email"],
                    "DeletionProtection": "ACTIVE",
                    "UserPoolAddOns": {"AdvancedSecurityMode": "ENFORCED"},
                    "UserPoolTags": {"Project": "payments"},
                    "Schema": [{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}],
                },
            },
            "PaymentsServer": {
                "Type": "AWS::Cognito::UserPoolResourceServer",
                "Properties": {
                    "UserPoolId": pool,
                    "Identifier": "payments",
                    "Name": "Payments API",
                    "Scopes": [
                        {"ScopeName": "read", "ScopeDescription": "Read payments"},
                        {"ScopeName": "write", "ScopeDescription": "Create payments"},
                    ],
                },
            },
            "CustomerClient": {
                "Type": "AWS::Cognito::UserPoolClient",
                "Properties": {
                    "UserPoolId": pool,
                    "ClientName": "customers",
                    "GenerateSecret": False,
                    "ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                    "AllowedOAuthFlows": ["code"],
                    "AllowedOAuthScopes": ["openid", "email"],
                    "AllowedOAuthFlowsUserPoolClient": True,
                    "CallbackURLs": ["https://app.example.com/callback"],
                    "SupportedIdentityProviders": ["COGNITO"],
                    "AccessTokenValidity": 15,
                    "IdTokenValidity": 15,
                    "RefreshTokenValidity": 1,
                    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
                    "PreventUserExistenceErrors": "ENABLED",
                    "EnableTokenRevocation": True,
                },
            },
            "MachineClient": {
                "Type": "AWS::Cognito::UserPoolClient",
                "DependsOn": "PaymentsServer",
                "Properties": {
                    "UserPoolId": pool,
                    "ClientName": "settlement-batch",
                    "GenerateSecret": True,
                    "AllowedOAuthFlows": ["client_credentials"],
                    "AllowedOAuthScopes": ["payments/read"],
                    "AllowedOAuthFlowsUserPoolClient": True,
                    "SupportedIdentityProviders": ["COGNITO"],
                    "AccessTokenValidity": "2",  # as a template may write it: CloudFormation converts it
                    "TokenValidityUnits": {"AccessToken": "hours"},
                },
            },
            "Domain": {
                "Type": "AWS::Cognito::UserPoolDomain",
                "Properties": {"UserPoolId": pool, "Domain": f"payments-{suffix}"},
            },
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": f"payments-{suffix}"}},
            "PaymentsResource": {
                "Type": "AWS::ApiGateway::Resource",
                "Properties": {
                    "RestApiId": api,
                    "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
                    "PathPart": "payments",
                },
            },
            "CognitoAuthorizer": {
                "Type": "AWS::ApiGateway::Authorizer",
                "Properties": {
                    "RestApiId": api,
                    "Name": "customers",
                    "Type": "COGNITO_USER_POOLS",
                    "ProviderARNs": [{"Fn::GetAtt": ["Pool", "Arn"]}],
                    "IdentitySource": "method.request.header.Authorization",
                },
            },
            "TokenAuthorizer": {
                "Type": "AWS::ApiGateway::Authorizer",
                "Properties": {
                    "RestApiId": api,
                    "Name": "partners",
                    "Type": "TOKEN",
                    "AuthorizerUri": LAMBDA_URI,
                    "IdentitySource": "method.request.header.Authorization",
                    "IdentityValidationExpression": "^Bearer [-0-9a-zA-Z._]+$",
                    "AuthorizerResultTtlInSeconds": 60,
                },
            },
            "Validator": {
                "Type": "AWS::ApiGateway::RequestValidator",
                "Properties": {"RestApiId": api, "ValidateRequestBody": True, "ValidateRequestParameters": True},
            },
            "PaymentModel": {
                "Type": "AWS::ApiGateway::Model",
                "Properties": {
                    "RestApiId": api,
                    "Name": "PaymentRequest",
                    "ContentType": "application/json",
                    "Schema": {"type": "object", "required": ["amount"]},
                },
            },
            "CreatePayment": {
                "Type": "AWS::ApiGateway::Method",
                "Properties": {
                    "RestApiId": api,
                    "ResourceId": {"Ref": "PaymentsResource"},
                    "HttpMethod": "POST",
                    "AuthorizationType": "COGNITO_USER_POOLS",
                    "AuthorizerId": {"Ref": "CognitoAuthorizer"},
                    "AuthorizationScopes": ["payments/write"],
                    "OperationName": "CreatePayment",
                    "RequestParameters": {
                        "method.request.header.Idempotency-Key": True,
                        "method.request.querystring.dryRun": False,
                    },
                    "RequestModels": {"application/json": {"Ref": "PaymentModel"}},
                    "RequestValidatorId": {"Ref": "Validator"},
                    "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Uri": LAMBDA_URI},
                },
            },
        },
        "Outputs": {
            "PoolId": {"Value": pool},
            "PoolArn": {"Value": {"Fn::GetAtt": ["Pool", "Arn"]}},
            "PoolIdAttribute": {"Value": {"Fn::GetAtt": ["Pool", "UserPoolId"]}},
            "ProviderName": {"Value": {"Fn::GetAtt": ["Pool", "ProviderName"]}},
            "ProviderURL": {"Value": {"Fn::GetAtt": ["Pool", "ProviderURL"]}},
            "ResourceServer": {"Value": {"Ref": "PaymentsServer"}},
            "CustomerClientId": {"Value": {"Ref": "CustomerClient"}},
            "MachineClientId": {"Value": {"Ref": "MachineClient"}},
            "MachineClientIdAttribute": {"Value": {"Fn::GetAtt": ["MachineClient", "ClientId"]}},
            "MachineClientName": {"Value": {"Fn::GetAtt": ["MachineClient", "Name"]}},
            "MachineClientSecret": {"Value": {"Fn::GetAtt": ["MachineClient", "ClientSecret"]}},
            "Domain": {"Value": {"Ref": "Domain"}},
            "CloudFrontDistribution": {"Value": {"Fn::GetAtt": ["Domain", "CloudFrontDistribution"]}},
            "ApiId": {"Value": api},
            "ResourceId": {"Value": {"Ref": "PaymentsResource"}},
            "CognitoAuthorizerId": {"Value": {"Ref": "CognitoAuthorizer"}},
            "CognitoAuthorizerIdAttribute": {"Value": {"Fn::GetAtt": ["CognitoAuthorizer", "AuthorizerId"]}},
            "TokenAuthorizerId": {"Value": {"Ref": "TokenAuthorizer"}},
            "ValidatorId": {"Value": {"Ref": "Validator"}},
        },
    }


def _launch(cloudformation, name: str, template: dict) -> dict[str, str]:
    """Create a stack and wait for it; its outputs, or the failure events."""
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))
    cloudformation.get_waiter("stack_create_complete").wait(
        StackName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
    )
    (stack,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


@pytest.fixture(scope="module")
def identity(emulator):
    """One stack with the whole identity setup, created once for this module's tests."""
    suffix = uuid.uuid4().hex[:8]
    cloudformation = tooling_client(emulator, "cloudformation", REGION)
    name = f"identity-{suffix}"
    outputs = _launch(cloudformation, name, _identity_template(suffix))
    yield {**outputs, "suffix": suffix}
    cloudformation.delete_stack(StackName=name)


@pytest.fixture
def cognito(emulator):
    return tooling_client(emulator, "cognito-idp", REGION)


@pytest.fixture
def apigateway(emulator):
    return tooling_client(emulator, "apigateway", REGION)


# ---- CloudFormation models ----------------------------------------------------------


def test_refs_and_attributes_resolve_to_ids(identity, cognito):
    pool_id = identity["PoolId"]
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["Name"] == f"payments-{identity['suffix']}"
    assert identity["PoolIdAttribute"] == pool_id
    assert identity["PoolArn"] == pool["Arn"] == f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{pool_id}"
    assert identity["ProviderName"] == f"cognito-idp.{REGION}.amazonaws.com/{pool_id}"
    assert identity["ProviderURL"] == f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"
    assert identity["ResourceServer"] == "payments"
    assert identity["MachineClientIdAttribute"] == identity["MachineClientId"]
    assert identity["MachineClientName"] == "settlement-batch"
    assert identity["Domain"] == f"payments-{identity['suffix']}"
    assert identity["CognitoAuthorizerIdAttribute"] == identity["CognitoAuthorizerId"]
    clients = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=10)["UserPoolClients"]
    assert {c["ClientId"] for c in clients} == {identity["CustomerClientId"], identity["MachineClientId"]}


def test_user_pool_keeps_its_settings(identity, cognito):
    pool = cognito.describe_user_pool(UserPoolId=identity["PoolId"])["UserPool"]
    assert pool["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 12,
        "RequireLowercase": True,
        "RequireUppercase": True,
        "RequireNumbers": True,
        "RequireSymbols": False,
        "TemporaryPasswordValidityDays": 3,
    }
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["MfaConfiguration"] == "OPTIONAL"
    assert pool["DeletionProtection"] == "ACTIVE"
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    assert pool["AccountRecoverySetting"] == {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]}
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    assert pool["UserPoolTags"] == {"Project": "payments"}
    (email,) = [a for a in pool["SchemaAttributes"] if a["Name"] == "email"]
    assert email["Required"] is True
    assert email["Mutable"] is True
    mfa = cognito.get_user_pool_mfa_config(UserPoolId=identity["PoolId"])
    assert mfa["MfaConfiguration"] == "OPTIONAL"
    assert mfa["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
    assert "SmsMfaConfiguration" not in mfa


def test_clients_keep_their_settings_and_secret(identity, cognito):
    customer = cognito.describe_user_pool_client(UserPoolId=identity["PoolId"], ClientId=identity["CustomerClientId"])[
        "UserPoolClient"
    ]
    assert "ClientSecret" not in customer
    assert customer["ClientName"] == "customers"
    assert customer["ExplicitAuthFlows"] == ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert customer["AllowedOAuthFlows"] == ["code"]
    assert customer["AllowedOAuthScopes"] == ["openid", "email"]
    assert customer["CallbackURLs"] == ["https://app.example.com/callback"]
    assert customer["AccessTokenValidity"] == 15
    assert customer["TokenValidityUnits"] == {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"}
    assert customer["PreventUserExistenceErrors"] == "ENABLED"
    assert customer["EnableTokenRevocation"] is True

    machine = cognito.describe_user_pool_client(UserPoolId=identity["PoolId"], ClientId=identity["MachineClientId"])[
        "UserPoolClient"
    ]
    assert machine["ClientSecret"] == identity["MachineClientSecret"]
    assert machine["AllowedOAuthFlows"] == ["client_credentials"]
    assert machine["AllowedOAuthScopes"] == ["payments/read"]
    assert machine["AllowedOAuthFlowsUserPoolClient"] is True
    assert machine["AccessTokenValidity"] == 2


def test_resource_server_and_domain(identity, cognito):
    server = cognito.describe_resource_server(UserPoolId=identity["PoolId"], Identifier="payments")["ResourceServer"]
    assert server["Name"] == "Payments API"
    assert server["Scopes"] == [
        {"ScopeName": "read", "ScopeDescription": "Read payments"},
        {"ScopeName": "write", "ScopeDescription": "Create payments"},
    ]
    domain = cognito.describe_user_pool_domain(Domain=identity["Domain"])["DomainDescription"]
    assert domain["UserPoolId"] == identity["PoolId"]
    assert domain["CloudFrontDistribution"] == identity["CloudFrontDistribution"]


def test_authorizers(identity, apigateway):
    cognito_authorizer = apigateway.get_authorizer(
        restApiId=identity["ApiId"], authorizerId=identity["CognitoAuthorizerId"]
    )
    assert cognito_authorizer["name"] == "customers"
    assert cognito_authorizer["type"] == "COGNITO_USER_POOLS"
    assert cognito_authorizer["providerARNs"] == [identity["PoolArn"]]
    assert cognito_authorizer["identitySource"] == "method.request.header.Authorization"
    assert cognito_authorizer["authorizerResultTtlInSeconds"] == 300

    token_authorizer = apigateway.get_authorizer(
        restApiId=identity["ApiId"], authorizerId=identity["TokenAuthorizerId"]
    )
    assert token_authorizer["type"] == "TOKEN"
    assert token_authorizer["authorizerUri"] == LAMBDA_URI
    assert token_authorizer["identityValidationExpression"] == "^Bearer [-0-9a-zA-Z._]+$"
    assert token_authorizer["authorizerResultTtlInSeconds"] == 60


def test_method_keeps_authorization_and_request_checks(identity, apigateway):
    method = apigateway.get_method(restApiId=identity["ApiId"], resourceId=identity["ResourceId"], httpMethod="POST")
    assert method["authorizationType"] == "COGNITO_USER_POOLS"
    assert method["authorizerId"] == identity["CognitoAuthorizerId"]
    assert method["authorizationScopes"] == ["payments/write"]
    assert method["operationName"] == "CreatePayment"
    assert method["requestParameters"] == {
        "method.request.header.Idempotency-Key": True,
        "method.request.querystring.dryRun": False,
    }
    assert method["requestModels"] == {"application/json": "PaymentRequest"}
    assert method["requestValidatorId"] == identity["ValidatorId"]
    assert method["apiKeyRequired"] is False
    integration = method["methodIntegration"]
    assert (integration["type"], integration["httpMethod"], integration["uri"]) == ("AWS_PROXY", "POST", LAMBDA_URI)
    validator = apigateway.get_request_validator(
        restApiId=identity["ApiId"], requestValidatorId=identity["ValidatorId"]
    )
    assert validator["validateRequestBody"] is True
    assert apigateway.get_model(restApiId=identity["ApiId"], modelName="PaymentRequest")["name"] == "PaymentRequest"


def test_deleting_a_stack_removes_its_identity_resources(emulator, cognito):
    suffix = uuid.uuid4().hex[:8]
    cloudformation = tooling_client(emulator, "cloudformation", REGION)
    name = f"identity-delete-{suffix}"
    template = {
        "Resources": {
            "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {}},
            "Server": {
                "Type": "AWS::Cognito::UserPoolResourceServer",
                "Properties": {"UserPoolId": {"Ref": "Pool"}, "Identifier": "x", "Name": "x"},
            },
            "Client": {"Type": "AWS::Cognito::UserPoolClient", "Properties": {"UserPoolId": {"Ref": "Pool"}}},
            "Domain": {
                "Type": "AWS::Cognito::UserPoolDomain",
                "Properties": {"UserPoolId": {"Ref": "Pool"}, "Domain": f"gone-{suffix}"},
            },
        },
        "Outputs": {"PoolId": {"Value": {"Ref": "Pool"}}},
    }
    pool_id = _launch(cloudformation, name, template)["PoolId"]
    assert cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Name"].startswith(f"{name}-Pool-")

    cloudformation.delete_stack(StackName=name)

    with pytest.raises(cognito.exceptions.ResourceNotFoundException):
        cognito.describe_user_pool(UserPoolId=pool_id)
    assert cognito.describe_user_pool_domain(Domain=f"gone-{suffix}")["DomainDescription"] == {}


# ---- OAuth2 token endpoint ------------------------------------------------------------


def _token_request(
    emulator: control.Emulator, form: dict[str, str], basic: tuple[str, str] | None = None, host: str | None = None
) -> tuple[int, dict]:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if basic:
        headers["Authorization"] = "Basic " + base64.b64encode(":".join(basic).encode()).decode()
    if host:
        headers["Host"] = host
    request = urllib.request.Request(
        f"{emulator.url}/oauth2/token", data=urllib.parse.urlencode(form).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _verified_claims(emulator: control.Emulator, pool_id: str, token: str) -> dict:
    """The token's claims, after checking its signature against the pool's JWKS (over HTTP)."""
    with urllib.request.urlopen(f"{emulator.url}/{pool_id}/.well-known/jwks.json", timeout=10) as response:
        jwks = jwt.PyJWKSet.from_dict(json.loads(response.read()))
    key = next(k for k in jwks.keys if k.key_id == jwt.get_unverified_header(token)["kid"])
    return jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        issuer=f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}",
        options={"require": ["exp", "iat", "iss", "sub"]},
    )


def _machine(identity) -> tuple[str, str]:
    return identity["MachineClientId"], identity["MachineClientSecret"]


def test_client_credentials_token_verifies_against_the_pool_jwks(emulator, identity):
    host = f"{identity['Domain']}.auth.{REGION}.amazoncognito.com"
    status, body = _token_request(emulator, {"grant_type": "client_credentials"}, basic=_machine(identity), host=host)
    assert status == 200, body
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 2 * 3600
    claims = _verified_claims(emulator, identity["PoolId"], body["access_token"])
    client_id = identity["MachineClientId"]
    assert claims["sub"] == claims["client_id"] == client_id
    assert claims["token_use"] == "access"
    assert claims["scope"] == "payments/read"  # every allowed scope: none was requested
    assert claims["version"] == 2
    assert claims["exp"] - claims["iat"] == 2 * 3600
    assert claims["auth_time"] == claims["iat"]
    assert claims["jti"]
    assert "username" not in claims


def test_client_credentials_in_the_form_with_a_requested_scope(emulator, identity):
    client_id, secret = _machine(identity)
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
        "scope": "payments/read",
    }
    status, body = _token_request(emulator, form)
    assert status == 200, body
    assert _verified_claims(emulator, identity["PoolId"], body["access_token"])["scope"] == "payments/read"


@pytest.mark.parametrize(
    ("case", "status", "error"),
    [
        ("wrong secret", 401, "invalid_client"),
        ("unknown client", 401, "invalid_client"),
        ("customer client", 400, "unauthorized_client"),
        ("scope not allowed", 400, "invalid_scope"),
        ("scope not defined", 400, "invalid_scope"),
        ("password grant", 400, "unsupported_grant_type"),
        ("no grant type", 400, "invalid_request"),
    ],
)
def test_token_errors_are_rfc_6749(emulator, identity, case, status, error):
    client_id, secret = _machine(identity)
    basic: tuple[str, str] | None = (client_id, secret)
    form = {"grant_type": "client_credentials"}
    if case == "wrong secret":
        basic = (client_id, secret + "x")
    elif case == "unknown client":
        basic = ("nosuchclient", secret)
    elif case == "customer client":
        basic, form["client_id"] = None, identity["CustomerClientId"]
    elif case == "scope not allowed":
        form["scope"] = "payments/read payments/write"
    elif case == "scope not defined":
        form["scope"] = "ledger/read"
    elif case == "password grant":
        form = {"grant_type": "password", "username": "alice", "password": PASSWORD}
    elif case == "no grant type":
        form = {"scope": "payments/read"}
    assert _token_request(emulator, form, basic=basic) == (status, {"error": error})


def test_customer_tokens_from_admin_initiate_auth(emulator, identity, cognito):
    pool_id, client_id = identity["PoolId"], identity["CustomerClientId"]
    username = f"alice-{uuid.uuid4().hex[:8]}"
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True)
    result = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    claims = _verified_claims(emulator, pool_id, result["AccessToken"])
    assert claims["scope"] == "aws.cognito.signin.user.admin"
    assert claims["client_id"] == client_id
    assert claims["username"] == username
    assert claims["token_use"] == "access"

"""Callers of a launched environment: its base URL on the local front door (the
distribution; `direct_url` is the stage's own), and access
tokens from its user pool for customers and back-office clients (main environment: boto3).

    python -m local_aws.client.control url   --env dev [--direct]
    python -m local_aws.client.control token --env dev --customer alice [--print-sub]
    python -m local_aws.client.control token --env dev --client reporting

A customer is a user of the pool, created on first use; each `token` call gives it a new
random password and signs in with it (the administrator's password flow: local tooling
only, the customer app client itself allows SRP only). A back-office client is an app
client with a secret and the read-only scope, created on first use; its token comes from
the emulator's OAuth2 token endpoint by the client-credentials grant, as from Cognito's.
"""

from __future__ import annotations

import base64
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from blueprints.contract import BACKOFFICE_READ
from blueprints.deploy.rendering import render_environment
from blueprints.deploy.verify import Endpoints, Reply, send
from blueprints.project import load_project
from local_aws.client.accounts import admin_session
from local_aws.client.endpoint import Emulator
from local_aws.client.paths import PROJECT_DIR

BACKOFFICE_PREFIX = "backoffice-"


class CallerError(RuntimeError):
    """The environment is not launched, or the caller cannot be made."""


@dataclass
class Environment:
    """One launched environment, as its callers see it."""

    name: str
    emulator: Emulator
    project_dir: Path = PROJECT_DIR

    def _client(self, service: str, region: str) -> Any:
        """A client of the emulator acting in the environment's account as its administrator,
        whatever the shell has set."""
        account = load_project(self.project_dir).environment(self.name).settings.account_id
        return admin_session(self.emulator, account, region).client(
            service, region_name=region, endpoint_url=self.emulator.url
        )

    @cached_property
    def _stacks(self) -> dict[str, Any]:
        return render_environment(self.project_dir, self.name)

    def outputs(self, stack: str) -> dict[str, str]:
        rendered = self._stacks[stack]
        client = self._client("cloudformation", rendered.region)
        try:
            described = client.describe_stacks(StackName=rendered.external_name)["Stacks"][0]
        except client.exceptions.ClientError as err:
            raise CallerError(
                f"{self.name} is not launched ({rendered.external_name}): run `make demo ENV={self.name}`"
            ) from err
        return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}

    @cached_property
    def region(self) -> str:
        return str(self._stacks["identity"].region)

    @cached_property
    def url(self) -> str:
        """The API's base URL on the front door: the CloudFront distribution (the cdn stack's
        `ApiUrl` in a real environment), which adds the origin secret the stage requires."""
        return self.endpoints.api

    @cached_property
    def direct_url(self) -> str:
        """The stage's own URL on the front door (standing for its execute-api URL): its web
        ACL refuses every request without the origin secret."""
        return self.endpoints.stage

    @property
    def endpoints(self) -> Endpoints:
        """Where `blueprints.deploy.verify` finds the environment on the emulator."""
        return emulator_endpoints(self.emulator, {s: self.outputs(s) for s in ("cdn", "api")})

    @cached_property
    def _cognito(self) -> Any:
        return self._client("cognito-idp", self.region)

    @cached_property
    def _identity(self) -> dict[str, str]:
        return self.outputs("identity")

    def customer_token(self, name: str) -> str:
        """An access token of customer `name` (a user of the pool, created on first use)."""
        pool, client = self._identity["UserPoolId"], self._identity["CustomerClientId"]
        password = _password()
        try:
            self._cognito.admin_get_user(UserPoolId=pool, Username=name)
        except self._cognito.exceptions.UserNotFoundException:
            self._cognito.admin_create_user(
                UserPoolId=pool, Username=name, TemporaryPassword=_password(), MessageAction="SUPPRESS"
            )
        self._cognito.admin_set_user_password(UserPoolId=pool, Username=name, Password=password, Permanent=True)
        result = self._cognito.admin_initiate_auth(
            UserPoolId=pool,
            ClientId=client,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": password},
        )
        return str(result["AuthenticationResult"]["AccessToken"])

    def customer_sub(self, name: str) -> str:
        """Customer `name`'s id, the `sub` of its tokens: the `customerId` of
        `/customers/{customerId}/payments` (the customer created on first use)."""
        return str(claims(self.customer_token(name))["sub"])

    def client_token(self, name: str, scopes: tuple[str, ...] = (BACKOFFICE_READ,)) -> str:
        """A back-office client's access token (client credentials), the client created on
        first use with `scopes`."""
        pool = self._identity["UserPoolId"]
        client_name = BACKOFFICE_PREFIX + name
        clients = self._cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"]
        found = next((c["ClientId"] for c in clients if c["ClientName"] == client_name), None)
        if found is None:
            found = self._cognito.create_user_pool_client(
                UserPoolId=pool,
                ClientName=client_name,
                GenerateSecret=True,
                AllowedOAuthFlows=["client_credentials"],
                AllowedOAuthScopes=list(scopes),
                AllowedOAuthFlowsUserPoolClient=True,
                SupportedIdentityProviders=["COGNITO"],
            )["UserPoolClient"]["ClientId"]
        secret = self._cognito.describe_user_pool_client(UserPoolId=pool, ClientId=found)["UserPoolClient"][
            "ClientSecret"
        ]
        return client_credentials_token(self.emulator, found, secret, scopes)


def emulator_endpoints(emulator: Emulator, outputs: dict[str, dict[str, str]]) -> Endpoints:
    """An environment's endpoints on the emulator's front door (`outputs`: of its cdn and
    api stacks), where a real deployment's are its domain, execute-api host and token URL."""
    api = outputs["api"]
    return Endpoints(
        api=f"{emulator.frontdoor_url}/distributions/{outputs['cdn']['DistributionId']}",
        stage=f"{emulator.frontdoor_url}/restapis/{api['RestApiId']}/{api['StageName']}",
        token=f"{emulator.url}/oauth2/token",
    )


def client_credentials_token(emulator: Emulator, client_id: str, secret: str, scopes: tuple[str, ...]) -> str:
    """The OAuth2 client-credentials grant against the emulator's token endpoint (which stands
    for the identity stack's `TokenUrl`)."""
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 - the emulator on loopback
        f"{emulator.url}/oauth2/token",
        data=urllib.parse.urlencode({"grant_type": "client_credentials", "scope": " ".join(scopes)}).encode(),
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
        return str(json.loads(response.read())["access_token"])


def claims(token: str) -> dict[str, Any]:
    """A token's claims, unverified: for showing who a token is, never for trusting it."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


def _password() -> str:
    """A random password the pool's policy accepts (lower, upper, digit, symbol; 32+ chars)."""
    return secrets.token_urlsafe(24) + "aA1!"


# Reply and send are blueprints.deploy.verify's: one HTTP client for the emulator's callers and verify.
__all__ = ["CallerError", "Environment", "Reply", "claims", "client_credentials_token", "emulator_endpoints", "send"]

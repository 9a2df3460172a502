"""Deploying to real accounts: the account bootstrap's roles, function packaging, the
stateful-change guard, read-only preflight before a launch and verification after it,
recovery, teardown, and offline rendering through Sceptre.

Each module imports boto3, cfn-lint or Sceptre only where it is used."""

"""The embedded local AWS: moto server on 127.0.0.1, plus what moto lacks for these stacks.

- `local_aws.emulator` runs inside the emulator process, with the emulator's own virtual
  environment (.venv-emulator): moto server needs jsonschema 4 and Sceptre 4.7 pins 3.2.
- `local_aws.client` is the host-side tooling (start, check and stop the emulator; act in an
  environment's account; read a launched environment back): the project's .venv imports it,
  and it never imports the emulator's modules.

Nothing in the blueprints or templates knows the emulator exists: Sceptre and boto3 reach
it through AWS_ENDPOINT_URL and fake credentials.
"""

"""The embedded local AWS: moto server on 127.0.0.1, plus CloudFormation models for the
resource types moto's CloudFormation would otherwise skip.

`control` (standard library only) starts, checks and stops the emulator from any Python;
`server` and `models` run inside the emulator's own virtual environment (.venv-emulator),
because moto server needs jsonschema 4 and Sceptre 4.7 pins jsonschema 3.2.
Nothing in the blueprints or templates knows the emulator exists: Sceptre and boto3 reach
it through AWS_ENDPOINT_URL and fake credentials.
"""

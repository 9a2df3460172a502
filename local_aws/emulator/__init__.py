"""What runs inside the emulator process (`python -m local_aws.emulator.server`, with the
interpreter of .venv-emulator): moto server, the CloudFormation models and patches it lacks, the
AWS behaviours the stacks rely on, and the API Gateway front door. The host side starts it
through `local_aws.client.control` and never imports these modules."""

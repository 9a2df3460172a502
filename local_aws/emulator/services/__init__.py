"""CloudFormation models of the resource types moto's CloudFormation skips although its service
backends support them, one module per service. Each model creates the resource through moto's
own backend, so what a stack creates is visible through the service's API; each module lists
its models in `MODELS`, which local_aws/emulator/registry.py registers and checks."""

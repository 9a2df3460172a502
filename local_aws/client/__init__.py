"""Host-side tooling of the local AWS, imported by the project's .venv: `control` starts, checks
and stops the emulator (standard library only), `accounts` acts in an environment's account,
`callers` gives a launched environment's URL and tokens, `launched` reads it back. None of it
imports the emulator's modules (`local_aws.emulator` needs moto server's dependencies)."""

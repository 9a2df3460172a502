"""Host-side tooling of the local AWS, imported by the project's .venv; none of it imports the
emulator's modules (`local_aws.emulator` needs moto server's dependencies).

- `paths` and `endpoint` (standard library only): where the project is; where a running
  emulator is, and how a process points at it.
- `control` (standard library only, but for its `url`, `token` and `env --env` commands):
  start, check and stop the emulator; `python -m local_aws.client.control`.
- `accounts`: acting in an environment's account on the emulator (its administrator, CI).
- `callers`: a launched environment's URL, customers' and clients' tokens.
- `launched`: a launched environment read back; the one `sceptre launch` helper.
- `handlers`: the Lambda handlers run in this process, with the events the front door sends.
"""

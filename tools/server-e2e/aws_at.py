#!/usr/bin/env python3
"""The AWS CLI (awscli from PyPI, unchanged) with its clock moved forward, as faketime would.

    VAULTWARD_E2E_CLOCK_OFFSET=864000 .venv/bin/python tools/server-e2e/aws_at.py backup ...

runs `aws backup ...` signing its requests VAULTWARD_E2E_CLOCK_OFFSET seconds after the
system's time. The e2e starts `vaultward serve --clock offset-file:PATH` and moves the
service's time by writing the same offset to PATH, so that Vault Lock's grace time,
retention and expiry are reached in seconds; SigV4 refuses requests signed more than 15
minutes from the service's time, so the CLI's clock moves with it. botocore reads the time
for signing through `get_current_datetime` (botocore.compat, imported by name into
botocore.auth); both names are pointed at the moved clock before the CLI starts.
"""
import datetime
import os
import sys

import botocore.auth
import botocore.compat

OFFSET = datetime.timedelta(seconds=float(os.environ.get("VAULTWARD_E2E_CLOCK_OFFSET", "0")))
_system = botocore.compat.get_current_datetime


def _moved(remove_tzinfo=True):
    return _system(remove_tzinfo) + OFFSET


botocore.compat.get_current_datetime = _moved
botocore.auth.get_current_datetime = _moved

if __name__ == "__main__":
    from awscli.clidriver import main
    sys.exit(main())

"""`python -m pipelines.cli ...`: the `talkwatch` command, as tests and checkouts without the entry point run it."""

import sys

from pipelines.cli import main

sys.exit(main())

"""`python -m genie_repo` runs the `genie-repo` command."""

from genie_repo.cli import main

raise SystemExit(main())

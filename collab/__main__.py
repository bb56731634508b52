"""Allow `python -m collab`."""

from collab.cli import main

raise SystemExit(main())

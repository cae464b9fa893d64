"""`python -m apicore.i18n update|check`."""

from apicore.i18n.maintenance import main

if __name__ == "__main__":
    raise SystemExit(main())

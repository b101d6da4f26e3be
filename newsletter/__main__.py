"""``python -m newsletter`` and the ``newsletter`` console script."""

from newsletter.cli.app import main

if __name__ == "__main__":
    main()

"""``python -m newsletter`` and the ``newsletter`` console script."""

from newsletter.cli import main

if __name__ == "__main__":
    main()

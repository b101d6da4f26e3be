"""The ``newsletter`` command: options in :mod:`.app`, the work of each command in
:mod:`.commands`, what is shown and how it exits in :mod:`.console` and :mod:`.exits`."""

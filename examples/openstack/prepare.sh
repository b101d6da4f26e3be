#!/bin/sh
# Prepares the example's generated inputs (nothing yet for the blogs-only example).
exit 0

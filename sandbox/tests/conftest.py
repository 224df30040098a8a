"""Makes the per-test `sandbox` fixture available to every test file."""

from harness import sandbox  # noqa: F401

"""Developer tools: training, evaluation, the data check, benchmarks and local servers for tests.

They run from the Makefile and the `jra` CLI, never inside the Rasa server, the action server or
the front ends (docs/architecture.md).
"""

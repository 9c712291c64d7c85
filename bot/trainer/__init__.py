"""The trainers' workbench: the inbox of misunderstood messages, the example saver, the console and the live model.

The library (`settings`, `inbox`, `decisions`, `examples`, `catalog`) runs in the app
environment without Rasa; `jra inbox …`, `jra conversations prune` and the console use it.
"""

"""The assistant's servers, front ends, NLU components and tools.

OpenMP's thread count is set here, before anything else of the project is imported. The sentence
embedding (bot/nlu/sentence_embeddings.py) runs on OpenMP, and its wheel bundles the very same
runtime as scikit-learn's (one file name, libgomp-a34b3233), so the process loads it once, when
scikit-learn is imported, and it reads OMP_NUM_THREADS at that moment only: the embedding's own
setting came too late, and every message was embedded by two threads that wait for each other by
spinning. Measured with two Rasa workers on two cores: 5.9 messages/s that way, against 17.2 with
one worker (docs/deployment.md "Performance"). NLU_EMBEDDING_THREADS is the setting: by default
two threads (or one on a one-core machine) for `make run`'s single Rasa server, and the cores
shared out between the workers of the production profile (bot/production.py). It wins over an
OMP_NUM_THREADS inherited from the process that started this one (`jra serve` sets its own
default before it starts the workers); without it, an OMP_NUM_THREADS already set is kept.
"""

import os

if os.environ.get("NLU_EMBEDDING_THREADS"):
    os.environ["OMP_NUM_THREADS"] = os.environ["NLU_EMBEDDING_THREADS"]
else:
    os.environ.setdefault("OMP_NUM_THREADS", str(min(2, os.cpu_count() or 1)))

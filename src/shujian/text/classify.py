"""Topic classification (话题分类) of hotline messages into supervision areas.

Without labels, the topic rules (``topics.yaml``) decide: a message goes to the topic whose rule
counts the most words, 其他 when none matches.  With the users' own confirmed labels
(``text_labels``: a CSV of 编号 → 话题, or the confirmed matches of a subscription), a classifier is
trained: TF-IDF over character 1–3-grams (no segmentation needed, robust to typos and new merchant
names) and a linear SVM (scikit-learn ``LinearSVC``, class-balanced) — the standard strong baseline
for short Chinese text, trained on CPU in seconds.  A random stratified fifth of the labels is held
out and the per-class precision and recall on it are stored with the model and shown; the final
model is then refitted on all labels.  The classifier decides where it was trained on the topic;
the rules remain for topics it has no labels for.
"""

from __future__ import annotations

import json
import pickle
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from shujian.errors import InputError, NotFound
from shujian.spec.text import TextStep
from shujian.text.clean import clean_text
from shujian.text.matcher import Matcher
from shujian.workspace import Workspace

TOPICS = ("消费者权益/预付式消费", "食品药品安全", "生态环境", "安全生产", "劳动欠薪", "城建物业", "教育", "交通", "其他")
OTHER = "其他"
MIN_PER_CLASS = 5          # a topic needs this many labels to be learned
MODEL_FILE = "topic-model.pkl"


@lru_cache(maxsize=1)
def topic_matchers() -> tuple[tuple[str, Matcher], ...]:
    data = yaml.safe_load(resources.files("shujian.text").joinpath("topics.yaml").read_text("utf-8"))
    return tuple((topic, Matcher(TextStep(field="x", rule=rule).rule)) for topic, rule in data.items())


def rule_topic(text: str) -> str:
    """The topic by the rules: most counted words wins (rule order breaks ties); 其他 otherwise."""
    best, best_n = OTHER, 0
    for topic, matcher in topic_matchers():
        m = matcher.match(text)
        n = len(m.counted) if m is not None else 0
        if n > best_n:
            best, best_n = topic, n
    return best


@dataclass
class TopicModel:
    """A trained classifier with what it was trained on and how it measured."""

    pipeline: object
    topics: list[str]
    labels: int
    metrics: dict
    trained_at: str

    def predict(self, texts: list[str]) -> list[str]:
        return [str(t) for t in self.pipeline.predict(texts)] if texts else []


def _pipeline():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    return make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=1,
                                         max_features=300_000),
                         LinearSVC(class_weight="balanced", C=0.5))


def train(texts: list[str], topics: list[str], *, seed: int = 0, holdout: float = 0.2) -> TopicModel:
    """Train on labelled texts; per-class precision/recall measured on a stratified held-out part."""
    from sklearn.metrics import classification_report
    from sklearn.model_selection import train_test_split

    counts = Counter(topics)
    usable = [(t, y) for t, y in zip(texts, topics, strict=True) if counts[y] >= MIN_PER_CLASS]
    classes = sorted({y for _, y in usable})
    if len(classes) < 2:
        raise InputError(f"标注太少：至少需要 2 个话题、每个话题 ≥ {MIN_PER_CLASS} 条（现有 {dict(counts)}）",
                         hint="先用 shujian text label 导入本院确认的标注")
    x, y = [clean_text(t)[0] for t, _ in usable], [y for _, y in usable]
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=holdout, random_state=seed, stratify=y)
    started = time.perf_counter()
    measured = _pipeline().fit(x_train, y_train)
    report = classification_report(y_test, measured.predict(x_test), output_dict=True, zero_division=0)
    final = _pipeline().fit(x, y)
    seconds = round(time.perf_counter() - started, 3)
    per_class = {c: {"precision": round(report[c]["precision"], 4), "recall": round(report[c]["recall"], 4),
                     "support": int(report[c]["support"])} for c in classes}
    metrics = {"held_out": len(y_test), "trained_on": len(y), "accuracy": round(report["accuracy"], 4),
               "per_class": per_class, "seconds": seconds,
               "skipped_topics": {k: v for k, v in counts.items() if v < MIN_PER_CLASS}}
    return TopicModel(final, classes, len(y), metrics, datetime.now().isoformat(timespec="seconds"))


# ---------------------------------------------------------------- workspace: labels, model file
def model_path(ws: Workspace) -> Path:
    return ws.home / "text" / MODEL_FILE


def save_model(ws: Workspace, model: TopicModel) -> Path:
    """Written atomically (a temporary file renamed), so a reader never sees half a model."""
    path = model_path(ws)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(model))
    tmp.replace(path)
    return path


def load_model(ws: Workspace) -> TopicModel | None:
    """The workspace's classifier (a file this workspace wrote itself), or None before training."""
    path = model_path(ws)
    if not path.is_file():
        return None
    return pickle.loads(path.read_bytes())  # noqa: S301 — written by save_model in this workspace only


def classify(texts: list[str], model: TopicModel | None) -> list[tuple[str, str]]:
    """(topic, source) per text: the classifier's topic, else the rules' ('model' / 'rules')."""
    cleaned = [clean_text(t)[0] for t in texts]
    predicted = model.predict(cleaned) if model is not None else [None] * len(cleaned)
    out = []
    for text, topic in zip(cleaned, predicted, strict=True):
        if topic is not None and topic != OTHER:
            out.append((topic, "model"))
        else:
            by_rules = rule_topic(text)
            out.append((by_rules, "rules") if by_rules != OTHER or topic is None else (OTHER, "model"))
    return out


def describe_metrics(model: TopicModel) -> str:
    m = model.metrics
    parts = [f"{c}：精确率 {v['precision']:.2f}、召回率 {v['recall']:.2f}（{v['support']} 条）"
             for c, v in m["per_class"].items()]
    return (f"用 {m['trained_on']} 条标注训练（{m['seconds']} 秒），留出 {m['held_out']} 条测得准确率 {m['accuracy']:.2f}；"
            + "；".join(parts))


def require_model(ws: Workspace) -> TopicModel:
    model = load_model(ws)
    if model is None:
        raise NotFound("还没有训练话题分类器", hint="shujian text topics train（需要本院确认的标注）")
    return model


def metrics_json(model: TopicModel) -> str:
    return json.dumps(model.metrics, ensure_ascii=False)

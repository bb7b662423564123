"""Token embeddings of AST graphs: random-walk corpus -> gensim Word2Vec / FastText -> a plain table.

The table (vectors .npy + vocab .json) is all inference needs; gensim is only used to fit it. Fit it on
TRAINING-split graphs only: the caller passes exactly the graphs it may learn from.
Unseen tokens back off to their longest known ':'-prefix ("For:parallel:unroll" -> "For:parallel"),
then to the OOV row (the mean vector).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tircost_bench.representations.ast_graph import ProgramGraph

VECTORS_FILE = "embedding.npy"
VOCAB_FILE = "embedding_vocab.json"
PLOT_FILE = "embedding.png"


def _stable_hash(s: str) -> int:
    # gensim seeds each word's initial vector with hashfxn(word + seed); Python's hash() is salted per
    # process, which would make "seeded" embeddings differ from run to run.
    return zlib.crc32(s.encode())


def random_walks(graphs: Iterable[ProgramGraph], walks_per_graph: int = 8, walk_length: int = 16,
                 seed: int = 0) -> list[list[str]]:
    """Uniform random walks over the undirected graphs (all edge types), as token sentences."""
    rng = np.random.default_rng(seed)
    sentences: list[list[str]] = []
    for g in graphs:
        n = g.num_nodes
        if n == 0:
            continue
        src, dst = g.edge_index
        both_src = np.concatenate([src, dst])
        both_dst = np.concatenate([dst, src])
        order = np.argsort(both_src, kind="stable")
        nbr = both_dst[order]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(both_src, minlength=n), out=indptr[1:])
        cur = rng.integers(0, n, size=walks_per_graph)
        path = np.empty((walks_per_graph, walk_length), dtype=np.int64)
        path[:, 0] = cur
        for step in range(1, walk_length):
            deg = indptr[cur + 1] - indptr[cur]
            pick = (rng.random(cur.size) * np.maximum(deg, 1)).astype(np.int64)
            cur = np.where(deg > 0, nbr[np.minimum(indptr[cur] + pick, nbr.size - 1)], cur)
            path[:, step] = cur
        vocab = g.vocab
        tok = g.token_idx[path]
        sentences.extend([vocab[t] for t in row] for row in tok)
    return sentences


@dataclass(frozen=True, eq=False)
class EmbeddingTable:
    """token -> vector; row len(tokens) is the OOV vector."""

    tokens: tuple[str, ...]
    vectors: np.ndarray  # float32 (len(tokens) + 1, dim)
    kind: str = "word2vec"

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def oov_index(self) -> int:
        return len(self.tokens)

    def index_of(self, tokens: Sequence[str]) -> np.ndarray:
        """Row of each token (prefix back-off, then OOV)."""
        lookup = self._lookup
        out = np.empty(len(tokens), dtype=np.int64)
        for i, t in enumerate(tokens):
            j = lookup.get(t)
            while j is None and ":" in t:
                t = t.rsplit(":", 1)[0]
                j = lookup.get(t)
            out[i] = self.oov_index if j is None else j
        return out

    @property
    def _lookup(self) -> dict[str, int]:
        cached = self.__dict__.get("_lookup_cache")
        if cached is None:
            cached = {t: i for i, t in enumerate(self.tokens)}
            object.__setattr__(self, "_lookup_cache", cached)
        return cached

    def save(self, directory: Path) -> None:
        directory = Path(directory)
        np.save(directory / VECTORS_FILE, self.vectors.astype(np.float32))
        (directory / VOCAB_FILE).write_text(json.dumps({"kind": self.kind, "tokens": list(self.tokens)}))

    @classmethod
    def load(cls, directory: Path) -> EmbeddingTable:
        directory = Path(directory)
        meta = json.loads((directory / VOCAB_FILE).read_text())
        vectors = np.load(directory / VECTORS_FILE)
        if vectors.shape[0] != len(meta["tokens"]) + 1:
            raise ValueError(f"{directory}: {vectors.shape[0]} vectors for {len(meta['tokens'])} tokens + OOV")
        return cls(tuple(meta["tokens"]), vectors, meta["kind"])


def fit_embeddings(train_graphs: Sequence[ProgramGraph], kind: str = "word2vec", dim: int = 16,
                   seed: int = 0, walks_per_graph: int = 8, walk_length: int = 16, epochs: int = 5,
                   window: int = 4) -> EmbeddingTable:
    """Fit on walks over `train_graphs` only; every token seen in them gets a row (min_count=1)."""
    from gensim.models import FastText, Word2Vec

    sentences = random_walks(train_graphs, walks_per_graph, walk_length, seed)
    # Isolated single-node graphs give walks that never move; fine for gensim. Every token of the
    # training graphs must be in the table, even one no walk happened to hit.
    seen = sorted({t for g in train_graphs for t in g.vocab})
    sentences.append(seen)
    common = {"vector_size": dim, "window": window, "min_count": 1, "sg": 1, "negative": 5, "seed": seed,
              "workers": 1, "epochs": epochs, "hashfxn": _stable_hash, "sample": 0}
    if kind == "word2vec":
        model = Word2Vec(sentences, **common)
    elif kind == "fasttext":
        model = FastText(sentences, min_n=3, max_n=6, bucket=20000, **common)
    else:
        raise ValueError(f"embedding kind {kind!r}: use 'word2vec' or 'fasttext'")
    vectors = np.stack([model.wv[t] for t in seen]).astype(np.float32)
    oov = vectors.mean(axis=0, keepdims=True)
    return EmbeddingTable(tuple(seen), np.concatenate([vectors, oov]), kind)


def plot_embeddings(table: EmbeddingTable, path: Path, max_labels: int = 60) -> Path:
    """2-D PCA scatter of the table, labelled with (the most frequent prefix kinds of) tokens, as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    v = table.vectors[:-1].astype(np.float64)
    v = v - v.mean(axis=0)
    _, s, vt = np.linalg.svd(v, full_matrices=False) if len(v) > 1 else (None, np.ones(2), np.eye(v.shape[1]))
    xy = v @ vt[:2].T if vt.shape[0] >= 2 else np.c_[v @ vt[:1].T, np.zeros(len(v))]
    families = sorted({t.split(":")[0] for t in table.tokens})
    cmap = plt.get_cmap("tab20")
    colour = {f: cmap(i % 20) for i, f in enumerate(families)}
    fig, ax = plt.subplots(figsize=(9, 7), dpi=110)
    ax.scatter(xy[:, 0], xy[:, 1], c=[colour[t.split(":")[0]] for t in table.tokens], s=18)
    for i, t in enumerate(table.tokens[:max_labels] if len(table.tokens) > max_labels else table.tokens):
        ax.annotate(t, xy[i], fontsize=6, alpha=0.8)
    var = (s[:2] ** 2 / max(float(np.sum(s ** 2)), 1e-12)) if s is not None else np.zeros(2)
    ax.set_title(f"{table.kind} token embeddings ({len(table.tokens)} tokens, dim {table.dim}); "
                 f"PCA explains {100 * float(np.sum(var[:2])):.0f}%")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return Path(path)

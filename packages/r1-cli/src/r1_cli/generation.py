"""Text generation backends for eval and data commands: transformers, vLLM, OpenAI-compatible HTTP.

Each backend takes chat conversations and returns ``n`` completions per conversation, with the
model's own chat template applied (by the backend for local models, by the server over HTTP).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from r1_core.errors import ConfigError, DataError, MissingExtraError, R1Error

__all__ = [
    "BACKENDS",
    "Completion",
    "Generator",
    "OpenAIGenerator",
    "SamplingParams",
    "TransformersGenerator",
    "VLLMGenerator",
    "as_messages",
    "make_generator",
]

Messages = list[dict[str, str]]
Progress = Callable[[int], None]

BACKENDS = ("transformers", "vllm", "openai")


@dataclass(frozen=True)
class SamplingParams:
    """How completions are sampled; recorded verbatim in every results file."""

    n: int = 1
    temperature: float = 0.6
    top_p: float = 0.95
    max_new_tokens: int = 1024
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ConfigError(f"--num-samples must be at least 1 (got {self.n})", "pass a positive number")
        if self.temperature < 0:
            raise ConfigError(f"--temperature must be >= 0 (got {self.temperature})", "use 0 for greedy")
        if not 0 < self.top_p <= 1:
            raise ConfigError(f"--top-p must be in (0, 1] (got {self.top_p})", "e.g. 0.95")
        if self.max_new_tokens < 1:
            raise ConfigError(f"--max-new-tokens must be at least 1 (got {self.max_new_tokens})",
                              "pass a positive number")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Completion:
    text: str
    finish_reason: str | None = None
    tokens: int | None = None


class Generator(Protocol):
    name: str

    def generate(self, conversations: Sequence[Messages], params: SamplingParams,
                 progress: Progress | None = None) -> list[list[Completion]]: ...


def as_messages(prompt: str | Messages, system_prompt: str | None = None) -> Messages:
    """A benchmark prompt (string or chat messages) as chat messages, with an optional system turn."""
    messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
    if system_prompt and not any(m.get("role") == "system" for m in messages):
        messages = [{"role": "system", "content": system_prompt}, *messages]
    return messages


class TransformersGenerator:
    """Generation with ``transformers`` on the local device (CPU, or the first GPU).

    Prompts are generated ``batch_size`` at a time, left-padded, each with ``n`` return sequences.
    """

    name = "transformers"

    def __init__(self, model: str, *, dtype: str = "auto", trust_remote_code: bool = False,
                 batch_size: int = 8) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if batch_size < 1:
            raise ConfigError(f"--batch-size must be at least 1 (got {batch_size})", "e.g. 8")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(model, trust_remote_code=trust_remote_code)
            self.model = AutoModelForCausalLM.from_pretrained(model, dtype=dtype,
                                                              trust_remote_code=trust_remote_code)
        except OSError as exc:
            raise ConfigError(f"cannot load model {model!r}: {exc}",
                              "pass a local model directory or a Hub id that is reachable") from None
        if self.tokenizer.chat_template is None:
            raise ConfigError(f"model {model!r} has no chat template",
                              "use an instruct/chat model or one with tokenizer_config.chat_template")
        self.tokenizer.padding_side = "left"  # generation continues from the right end
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.batch_size = batch_size
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model.to(self.device).eval()
        self._torch = torch
        eos = self.model.generation_config.eos_token_id
        if eos is None:
            eos = self.tokenizer.eos_token_id
        self._eos = set(eos if isinstance(eos, list) else [eos])

    def _render(self, messages: Messages) -> str:
        return self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)

    def prompt_tokens(self, messages: Messages) -> int:
        return len(self.tokenizer(self._render(messages), add_special_tokens=False)["input_ids"])

    def reseed(self, seed: int) -> None:
        self._torch.manual_seed(seed)

    def _decode(self, seq: list[int]) -> Completion:
        stop = next((i for i, t in enumerate(seq) if t in self._eos), None)
        kept = seq if stop is None else seq[:stop]
        return Completion(self.tokenizer.decode(kept, skip_special_tokens=True),
                          "length" if stop is None else "stop", len(kept))

    def generate_batch(self, conversations: Sequence[Messages],
                       params: SamplingParams) -> list[list[Completion]]:
        """``params.n`` completions for each of a few conversations, in one ``generate`` call."""
        # The chat template already holds any BOS token: do not add special tokens twice.
        inputs = self.tokenizer([self._render(m) for m in conversations], return_tensors="pt",
                                padding=True, add_special_tokens=False).to(self.device)
        sample = params.temperature > 0
        # Greedy decoding is deterministic: one sequence per prompt, repeated n times.
        per_prompt = params.n if sample else 1
        kwargs: dict[str, Any] = {"max_new_tokens": params.max_new_tokens, "do_sample": sample,
                                  "num_return_sequences": per_prompt,
                                  "pad_token_id": self.tokenizer.pad_token_id}
        if sample:
            kwargs.update(temperature=params.temperature, top_p=params.top_p)
        with self._torch.no_grad():
            out = self.model.generate(**inputs, **kwargs)
        seqs = out[:, inputs["input_ids"].shape[1]:].tolist()
        groups = [[self._decode(seq) for seq in seqs[i * per_prompt:(i + 1) * per_prompt]]
                  for i in range(len(conversations))]
        return groups if sample else [g * params.n for g in groups]

    def generate_one(self, messages: Messages, params: SamplingParams) -> list[Completion]:
        return self.generate_batch([messages], params)[0]

    def generate(self, conversations: Sequence[Messages], params: SamplingParams,
                 progress: Progress | None = None) -> list[list[Completion]]:
        self.reseed(params.seed)
        out: list[list[Completion]] = []
        for i in range(0, len(conversations), self.batch_size):
            batch = conversations[i:i + self.batch_size]
            out.extend(self.generate_batch(batch, params))
            if progress:
                progress(len(batch))
        return out


class VLLMGenerator:
    """Offline batched generation with vLLM (GPU only; the ``vllm`` extra)."""

    name = "vllm"

    def __init__(self, model: str, *, trust_remote_code: bool = False, **engine: Any) -> None:
        try:
            import vllm
        except ImportError:
            raise MissingExtraError("vllm", "r1-core[vllm]") from None
        self._vllm = vllm
        self.llm = vllm.LLM(model=model, trust_remote_code=trust_remote_code, **engine)

    def generate(self, conversations: Sequence[Messages], params: SamplingParams,
                 progress: Progress | None = None) -> list[list[Completion]]:
        sampling = self._vllm.SamplingParams(n=params.n, temperature=params.temperature,
                                             top_p=params.top_p, max_tokens=params.max_new_tokens,
                                             seed=params.seed)
        outputs = self.llm.chat(list(conversations), sampling, use_tqdm=False)
        if progress:
            progress(len(conversations))
        return [[Completion(o.text, o.finish_reason, len(o.token_ids)) for o in out.outputs]
                for out in outputs]


class OpenAIGenerator:
    """Any OpenAI-compatible ``/v1/chat/completions`` server (vLLM, SGLang, llama.cpp, r1's own).

    Requests run concurrently up to ``concurrency``; servers that ignore ``n`` are asked again
    until each conversation has ``n`` completions.
    """

    name = "openai"

    def __init__(self, model: str, *, base_url: str | None = None, api_key: str | None = None,
                 concurrency: int = 16, timeout_s: float = 600.0, retries: int = 2) -> None:
        base = base_url or os.environ.get("OPENAI_BASE_URL")
        if not base:
            raise ConfigError("the openai backend needs a server URL",
                              "pass --base-url http://HOST:PORT/v1 or set OPENAI_BASE_URL")
        base = base.rstrip("/")
        self.url = (base if base.endswith("/v1") else base + "/v1") + "/chat/completions"
        self.model = model
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY", "")
        if concurrency < 1:
            raise ConfigError(f"--concurrency must be at least 1 (got {concurrency})", "e.g. 16")
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.retries = retries

    def _body(self, messages: Messages, params: SamplingParams, n: int) -> dict[str, Any]:
        return {"model": self.model, "messages": messages, "n": n, "temperature": params.temperature,
                "top_p": params.top_p, "max_tokens": params.max_new_tokens, "seed": params.seed}

    async def _post(self, client: Any, body: dict[str, Any]) -> dict[str, Any]:
        import httpx

        last = ""
        for attempt in range(self.retries + 1):
            try:
                resp = await client.post(self.url, json=body)
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if resp.status_code == 200:
                    return resp.json()
                last = f"HTTP {resp.status_code}: {resp.text[:200]}"
                if resp.status_code < 500 and resp.status_code != 429:
                    break  # a client error will not fix itself
            if attempt < self.retries:
                await asyncio.sleep(min(2.0 ** attempt, 10.0))
        raise R1Error(f"OpenAI-compatible server at {self.url} failed: {last}",
                      "check --base-url, --model and that the server is running")

    async def complete(self, client: Any, messages: Messages, params: SamplingParams,
                       ) -> tuple[list[Completion], dict[str, Any]]:
        """``params.n`` completions of one conversation, plus the server's usage metadata."""
        done: list[Completion] = []
        usage: dict[str, Any] = {}
        while len(done) < params.n:
            data = await self._post(client, self._body(messages, params, params.n - len(done)))
            choices = data.get("choices") or []
            if not choices:
                raise DataError(f"server at {self.url} returned no choices", "check the server logs")
            for ch in choices:
                msg = ch.get("message") or {}
                done.append(Completion(str(msg.get("content") or ""), ch.get("finish_reason")))
            for key, value in (data.get("usage") or {}).items():
                if isinstance(value, int):
                    usage[key] = usage.get(key, 0) + value
        return done[:params.n], usage

    def client(self) -> Any:
        import httpx

        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        limits = httpx.Limits(max_connections=self.concurrency)
        return httpx.AsyncClient(headers=headers, timeout=self.timeout_s, limits=limits)

    async def agenerate(self, conversations: Sequence[Messages], params: SamplingParams,
                        progress: Progress | None = None) -> list[list[Completion]]:
        gate = asyncio.Semaphore(self.concurrency)

        async def one(client: Any, messages: Messages) -> list[Completion]:
            async with gate:
                out, _ = await self.complete(client, messages, params)
            if progress:
                progress(1)
            return out

        async with self.client() as client:
            return list(await asyncio.gather(*(one(client, m) for m in conversations)))

    def generate(self, conversations: Sequence[Messages], params: SamplingParams,
                 progress: Progress | None = None) -> list[list[Completion]]:
        return asyncio.run(self.agenerate(conversations, params, progress))


def make_generator(backend: str, model: str, *, base_url: str | None = None,
                   api_key: str | None = None, concurrency: int = 16, batch_size: int = 8) -> Generator:
    """The generator for ``--backend``; heavy libraries are imported only for the chosen one."""
    if backend == "transformers":
        return TransformersGenerator(model, batch_size=batch_size)
    if backend == "vllm":
        return VLLMGenerator(model)
    if backend == "openai":
        return OpenAIGenerator(model, base_url=base_url, api_key=api_key, concurrency=concurrency)
    raise ConfigError(f"unknown backend {backend!r}", f"one of: {', '.join(BACKENDS)}")

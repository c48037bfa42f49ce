"""A minimal OpenAI-compatible chat server for a local transformers model.

It exists so the ``openai`` backend, ``r1 data generate`` and ``filter-pass-rate`` can be run
and tested end to end on a laptop without vLLM: ``/v1/models`` and ``/v1/chat/completions``
(``n``, ``temperature``, ``top_p``, ``max_tokens``, ``seed``). One request generates at a time.

    r1 serve --model path/to/model          # or: uvicorn.run(create_app("path/to/model"))
"""

from __future__ import annotations

import hmac
import threading
import time
import uuid
from typing import Any

from pydantic import BaseModel, Field
from r1_core.errors import MissingExtraError

from r1_cli.generation import SamplingParams, TransformersGenerator

__all__ = ["ChatRequest", "create_app"]


class Message(BaseModel):
    role: str
    content: str


class ChatRequest(BaseModel):
    """The subset of OpenAI's chat-completions request this server honours."""

    model: str
    messages: list[Message]
    n: int = Field(1, ge=1, le=64)
    temperature: float = Field(1.0, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)
    max_tokens: int = Field(256, ge=1)
    seed: int | None = None


def create_app(model: str, *, served_name: str | None = None, api_key: str | None = None) -> Any:
    """A FastAPI app serving ``model`` (a local path or Hub id) under ``served_name``; with
    ``api_key`` every request must carry ``Authorization: Bearer <api_key>``."""
    try:
        from fastapi import Depends, FastAPI, Header, HTTPException
    except ImportError:
        raise MissingExtraError("fastapi", "r1-cli[server]") from None

    generator = TransformersGenerator(model)
    name = served_name or model
    lock = threading.Lock()

    def authorized(authorization: str = Header(default="")) -> None:
        if api_key is not None and not hmac.compare_digest(authorization.encode(),
                                                           f"Bearer {api_key}".encode()):
            raise HTTPException(401, "missing or wrong API key (Authorization: Bearer ...)")

    app = FastAPI(title="r1 OpenAI-compatible server", dependencies=[Depends(authorized)])

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": name, "object": "model", "owned_by": "r1"}]}

    @app.post("/v1/chat/completions")
    def chat(req: ChatRequest) -> dict[str, Any]:
        if req.model != name:
            raise HTTPException(404, f"model {req.model!r} not served (this server has {name!r})")
        params = SamplingParams(n=req.n, temperature=req.temperature, top_p=req.top_p,
                                max_new_tokens=req.max_tokens, seed=req.seed or 0)
        messages = [m.model_dump() for m in req.messages]
        with lock:  # one model, one generation at a time
            if req.seed is not None:
                generator.reseed(req.seed)
            outs = generator.generate_one(messages, params)
        prompt_tokens = generator.prompt_tokens(messages)
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": name,
            "choices": [{"index": i, "message": {"role": "assistant", "content": c.text},
                         "finish_reason": c.finish_reason} for i, c in enumerate(outs)],
            "usage": {"prompt_tokens": prompt_tokens,
                      "completion_tokens": sum(c.tokens or 0 for c in outs),
                      "total_tokens": prompt_tokens + sum(c.tokens or 0 for c in outs)},
        }

    return app

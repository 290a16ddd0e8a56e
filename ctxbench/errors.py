"""Errors a user can fix. The CLI prints them as one line and exits non-zero, no traceback."""


class HarnessError(Exception):
    """A problem with the user's input or environment (config, data, backend)."""


class ConfigError(HarnessError):
    pass

"""Errors whose message is meant for the user (Swedish) rather than a traceback."""


class UserError(Exception):
    """An expected problem with input or set-up; the message is shown to the user as is."""

"""Errors a clerk or an operator sees: one line, what is wrong and what to do.

The template is English and doubles as the gettext msgid, so the UI can show
the same error in zh_CN: `exc.localized(gettext)`.
"""

from __future__ import annotations

from collections.abc import Callable


class Term(str):
    """A parameter that is itself a catalog msgid (a status word, a service's name): `localized()`
    translates it as well as the template, so no English word is left inside a Chinese sentence."""


class CounterError(Exception):
    """Base of every expected failure; the CLI prints str(exc) and exits with `exit_code`."""

    exit_code = 1

    def __init__(self, template: str, exit_code: int | None = None, **params: object):
        self.template = template
        self.params = params
        super().__init__(template.format(**params) if params else template)
        if exit_code is not None:
            self.exit_code = exit_code

    def localized(self, gettext: Callable[[str], str]) -> str:
        text = gettext(self.template)
        if not self.params:
            return text
        return text.format(**{k: gettext(v) if isinstance(v, Term) else v for k, v in self.params.items()})


class ConfigError(CounterError):
    exit_code = 2


class StationExists(CounterError):
    exit_code = 2


class SignInError(CounterError):
    pass


class PermissionDenied(CounterError):
    pass


class ValidationError(CounterError):
    """A field value that breaks a rule; `field` names the form field it belongs to."""

    def __init__(self, template: str, field: str | None = None, **params: object):
        super().__init__(template, **params)
        self.field = field

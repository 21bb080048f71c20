"""Model and provider names as gateways send them, mapped to our slugs (API.md 1.1).

An alias applies first (a provider's own model id, "Groq", "together_ai"); a name that is
already a slug is kept; anything else is refused with the reason, never guessed. The
mapper reports when a name was changed so the answer can carry a warning.
Pure: no Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from providers.naming import alias_key
from providers.slugs import is_model, is_provider


def _keyed(aliases: Mapping[str, str]) -> dict[str, str]:
    return {alias_key(alias): target for alias, target in aliases.items()}


class NameMapper:
    """Maps one batch's names; tables earlier in each list win over later ones."""

    def __init__(
        self,
        model_aliases: Iterable[Mapping[str, str]],
        provider_aliases: Iterable[Mapping[str, str]],
        provider_slugs: Iterable[str] = (),
    ) -> None:
        self._models: dict[str, str] = {}
        for table in reversed(list(model_aliases)):
            self._models.update(_keyed(table))
        self._providers: dict[str, str] = {}
        for table in reversed(list(provider_aliases)):
            self._providers.update(_keyed(table))
        self._provider_slugs = set(provider_slugs)
        self._pairs: dict[tuple[str, str], tuple[str, str, str | None, str | None]] = {}

    def pair(self, model: str, provider: str) -> tuple[str, str, str | None, str | None]:
        """(model slug, provider slug, model warning, provider warning) of an event's names;
        ValueError as `model` and `provider`. A batch repeats a few pairs: each is mapped
        once (a refusal is not kept, and is raised again for every item naming it)."""
        found = self._pairs.get((model, provider))
        if found is None:
            provider_slug, provider_note = self.provider(provider)
            model_slug, model_note = self.model(model, provider_slug)
            found = self._pairs[(model, provider)] = (
                model_slug, provider_slug, model_note, provider_note)
        return found

    def model(self, name: str, provider: str | None = None) -> tuple[str, str | None]:
        """(slug, warning or None); ValueError when the name is neither an alias nor a slug.

        A LiteLLM-style `provider/model` name whose first segment names the event's provider
        ("groq/moonshotai/kimi-k2-instruct-0905") is also read without that segment: the
        alias of the rest wins over the whole name as a slug, a slug never loses to a
        stripped name that is itself only a slug (`acme/new-model` at provider `acme`).
        """
        target = self._models.get(alias_key(name))
        if target is not None:
            return target, None if target == name else (
                f"model {name[:128]!r} mapped to {target!r} (model aliases).")
        prefix, _, rest = name.partition("/")
        prefixed = bool(provider and rest and (prefix == provider or self._provider_of(prefix) == provider))
        if prefixed and alias_key(rest) in self._models:
            slug = self._models[alias_key(rest)]
            return slug, f"model {name[:128]!r} mapped to {slug!r} (provider prefix dropped, model aliases)."
        if is_model(name):
            return name, None
        if prefixed and is_model(rest):
            return rest, f"model {name[:128]!r} mapped to {rest!r} (provider prefix dropped)."
        raise ValueError(f"model {name[:128]!r} is not a model slug (author/name) and has no "
                         "entry in the model aliases.")

    def _provider_of(self, name: str) -> str | None:
        try:
            return self.provider(name)[0]
        except ValueError:
            return None

    def provider(self, name: str) -> tuple[str, str | None]:
        target = self._providers.get(alias_key(name))
        if target is None and not is_provider(name):
            lowered = "-".join(name.split()).casefold().replace("_", "-")
            if is_provider(lowered) and lowered in self._provider_slugs:
                target = lowered  # "Groq", "together_ai" when the provider exists as such
        if target is not None:
            return target, None if target == name else (
                f"provider {name[:128]!r} mapped to {target!r} (provider aliases).")
        if is_provider(name):
            return name, None
        raise ValueError(f"provider {name[:128]!r} is not a provider slug ([a-z0-9-]) and has no "
                         "entry in the provider aliases.")

"""Slash commands in the reader's language: :class:`CatalogTranslator` and :func:`localized`.

Every command name, description, option name, option description and choice name is a
:class:`~discord.app_commands.locale_str` made by :func:`localized` from a catalogue key
(``cmd.today``, ``cmd.today.count.description``, ``choice.period.week``): its message is the
English text (what Discord shows when it has no translation), and :class:`CatalogTranslator`
gives Discord the other languages when the commands are synced. Keys follow the command's
path: ``cmd.<command>[.<subcommand>][.<option>]`` names it, ``… .description`` describes it.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.i18n.catalog import DEFAULT, supported, tr, use_locale


def localized(key: str) -> app_commands.locale_str:
    """A command text: English from the catalogue, translated by :class:`CatalogTranslator`."""
    with use_locale(DEFAULT):
        return app_commands.locale_str(tr(key), key=key)


def command_name(qualified: str) -> str:
    """How a command is called in the current language: ``alerts list`` -> ``알림 목록``."""
    parts = qualified.split()
    return " ".join(tr(f"cmd.{'.'.join(parts[: i + 1])}") for i in range(len(parts)))


class CatalogTranslator(app_commands.Translator):
    """Gives Discord each command text in every language with a catalogue (English is the
    default text itself)."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        key = string.extras.get("key")
        language = supported(locale)
        if key is None or language == DEFAULT:
            return None  # English (en-US, en-GB) and the languages without a catalogue
        with use_locale(language):
            return tr(key)

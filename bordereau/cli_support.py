"""French command-line plumbing shared by every command group.

Typer (and the click it vendors) prints English help headings and usage errors. Users
are French hospital staff, so this module provides command classes that print French
help and translate usage errors, and the one place where library errors become French
messages and documented exit codes.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from typer import _click, rich_utils
from typer._click import exceptions as click_errors
from typer.core import TyperCommand, TyperGroup

from bordereau import logs
from bordereau.errors import BordereauError, ExitCode, os_reason

Event = TypeVar("Event", bound=BaseModel)

stderr = Console(stderr=True, highlight=False, soft_wrap=True)
log = logging.getLogger(__name__)

rich_utils.ARGUMENTS_PANEL_TITLE = "Arguments"
rich_utils.OPTIONS_PANEL_TITLE = "Options"
rich_utils.COMMANDS_PANEL_TITLE = "Commandes"
rich_utils.ERRORS_PANEL_TITLE = "Erreur"
rich_utils.DEFAULT_STRING = "[défaut : {}]"
rich_utils.ENVVAR_STRING = "[variable : {}]"
rich_utils.REQUIRED_LONG_STRING = "[obligatoire]"
rich_utils.ABORTED_TEXT = "Interrompu."
HELP_TEXT = "Afficher cette aide et quitter."


_EXPECTED: dict[object, str] = {
    int: " (nombre entier attendu)",
    float: " (nombre attendu)",
}


def _option_name(error: click_errors.BadParameter) -> str:
    param = error.param
    if param is not None and getattr(param, "opts", None):
        return str(max(param.opts, key=len))
    if error.param_hint:
        return str(error.param_hint).strip("'\"")
    return "un paramètre"


def french_usage_error(error: click_errors.UsageError) -> str:
    """A French sentence for a click usage error."""
    if isinstance(error, click_errors.MissingParameter):
        if error.param_type == "argument":
            return f"argument obligatoire manquant : {_option_name(error)}."
        return f"option obligatoire manquante : {_option_name(error)}."
    if isinstance(error, click_errors.BadParameter):
        descriptor = getattr(error.param, "type_descriptor", None)
        expected = _EXPECTED.get(getattr(descriptor, "annotation", None), "")
        return f"valeur invalide pour {_option_name(error)}{expected}."
    if isinstance(error, click_errors.NoSuchOption):
        text = f"option inconnue : {error.option_name}."
        if error.possibilities:
            text += f" Vouliez-vous dire {', '.join(sorted(error.possibilities))} ?"
        return text
    if isinstance(error, click_errors.BadOptionUsage):
        return f"option {error.option_name} mal employée (il manque sans doute sa valeur)."
    message = error.message
    if message.startswith("No such command"):
        return f"commande inconnue : {message.split(' ', 3)[-1].strip('.')}."
    if message.startswith("Missing command"):
        return "il manque la commande."
    if message.startswith("Got unexpected extra argument"):
        return "argument(s) en trop : " + message.split("(", 1)[-1].rstrip(")") + "."
    return f"utilisation incorrecte ({message})."


class _FrenchHelp:
    """French usage line and help option, for commands and groups alike."""

    def get_usage(self, ctx: _click.Context) -> str:
        usage: str = super().get_usage(ctx)  # type: ignore[misc]
        return usage.replace("Usage: ", "Utilisation : ", 1)

    def get_help_option(self, ctx: _click.Context) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_TEXT
        return option


class FrenchCommand(_FrenchHelp, TyperCommand):
    """A command whose help reads in French."""


class FrenchGroup(_FrenchHelp, TyperGroup):
    """A command group with French help, French usage errors and library-error mapping."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(
                args, prog_name, complete_var, False, windows_expand_args, **extra
            )
        except click_errors.UsageError as error:
            ctx = error.ctx
            stderr.print(f"Erreur : {french_usage_error(error)}")
            if ctx is not None:
                stderr.print(f"Voir « {ctx.command_path} --help ».")
            code: int = ExitCode.USAGE
        except typer.Abort:
            stderr.print("Interrompu.")
            code = 130
        except BordereauError as error:
            stderr.print(f"Erreur : {error.message}", markup=False)
            code = error.exit_code
        except Exception as error:
            if os.environ.get("BORDEREAU_DEBUG"):
                raise
            logs.internal_error(log, "commande", type(error).__name__,
                                logs.safe_traceback(error))
            code = _unexpected(error)
        else:
            code = result if isinstance(result, int) else 0
            if logs.internal_errors():
                stderr.print(
                    f"Attention : {logs.internal_errors()} page(s) refusée(s) sur une erreur "
                    f"interne. Détail dans {logs.error_log()} ; merci de signaler le problème.",
                    markup=False)
        finally:
            logs.shutdown()
        if standalone_mode:
            sys.exit(code)
        return code


def _unexpected(error: Exception) -> int:
    """Report an error nobody raised on purpose: a French sentence only. The exception's
    text is not shown: SQL statements and their parameters, paths and values read from
    the scans may be in it."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    from bordereau.base.engine import unreadable_base

    if isinstance(error, DBAPIError):
        base = _base_url_of(error)
        stderr.print(f"Erreur : {unreadable_base(base, error).message}", markup=False)
        return int(ExitCode.BASE)
    if isinstance(error, OSError) and error.errno is not None:
        stderr.print(f"Erreur : {os_reason(error)}"
                     f"{' : ' + str(error.filename) if error.filename else ''}.", markup=False)
        writing = error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS)
        return int(ExitCode.OUTPUT if writing else ExitCode.INTERNAL)
    kind = "base de données" if isinstance(error, SQLAlchemyError) else "programme"
    stderr.print(f"Erreur interne inattendue ({kind}, {type(error).__name__}). Détail dans "
                 f"{logs.error_log()} ; merci de signaler le problème.", markup=False)
    return int(ExitCode.INTERNAL)


def _base_url_of(error: Exception) -> str:
    """The URL of the base an error came from (without its password), for messages."""
    from bordereau.base.engine import Database

    for database in Database.opened():
        return database.url
    return "(base)"


def new_app(help_text: str) -> typer.Typer:
    """A Typer application (or command group) that speaks French."""
    return typer.Typer(
        cls=FrenchGroup,
        help=help_text,
        add_completion=False,
        no_args_is_help=True,
        rich_markup_mode="rich",
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )


def print_json(data: object) -> None:
    """Print a JSON document on stdout (the machine-readable contract)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def line_reporter(as_json: bool, describe: Callable[[Event], str]) -> Callable[[Event], None]:
    """What a long-running command says of each event (a file taken): one JSON object per
    line with ``--json`` (the documented contract), else ``describe``'s French line;
    flushed at once, so a supervisor's log shows it as it happens."""

    def report(event: Event) -> None:
        if as_json:
            sys.stdout.write(json.dumps(event.model_dump(mode="json"), ensure_ascii=False)
                             + "\n")
        else:
            typer.echo(describe(event))
        sys.stdout.flush()

    return report


HomeOption = typer.Option(
    "--home",
    help="Dossier de l’établissement (clé secrète, numéros, mises en page). "
    "Sinon $BORDEREAU_HOME, sinon le dossier de données de l’utilisateur.",
    file_okay=False,
)
JsonOption = typer.Option("--json", help="Écrire le résultat en JSON sur la sortie standard.")
BaseOption = typer.Option(
    "--base",
    help="Base de l’établissement : postgresql+psycopg://… pour plusieurs postes. Sinon "
    "$BORDEREAU_BASE, sinon une base SQLite dans le dossier de l’établissement.",
)

"""``kam api-token create|list|revoke``: personal API tokens from the command line."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kam.api.models import ApiToken, TokenScope
from kam.api.selectors import tokens_for_user
from kam.api.services import token_create, token_revoke
from kam.core.errors import DomainError

SCOPES = {"read": TokenScope.READ, "read-write": TokenScope.READ_WRITE}


class Command(BaseCommand):
    help = _("Create, list and revoke personal API tokens.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help=_("Create a token and print its secret once."))
        create.add_argument("--user", required=True, help=_("User name of the owner."))
        create.add_argument("--name", required=True, help=_("What the token is for."))
        create.add_argument("--scope", choices=sorted(SCOPES), default="read")
        listing = sub.add_parser("list", help=_("List the tokens of a user."))
        listing.add_argument("--user", required=True, help=_("User name of the owner."))
        revoke = sub.add_parser("revoke", help=_("Revoke a token by its prefix."))
        revoke.add_argument("prefix", help=_("The prefix shown by 'list'."))

    def _user(self, username: str):
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(_("No user named %(name)s.") % {"name": username}) from exc

    def handle(self, *args, **options):
        action = options["action"]
        if action == "create":
            user = self._user(options["user"])
            try:
                token, plain = token_create(
                    user=user, name=options["name"], scope=SCOPES[options["scope"]]
                )
            except DomainError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(plain)
            self.stderr.write(
                _("Token %(prefix)s created for %(user)s; the secret above is shown only once.")
                % {"prefix": token.prefix, "user": user.username}
            )
        elif action == "list":
            user = self._user(options["user"])
            for token in tokens_for_user(user=user):
                state = (
                    _("revoked")
                    if token.revoked_at
                    else (_("active") if token.is_active else _("expired"))
                )
                last = token.last_used.isoformat(timespec="seconds") if token.last_used else "-"
                self.stdout.write(f"{token.prefix}\t{token.scope}\t{state}\t{last}\t{token.name}")
        elif action == "revoke":
            found = ApiToken.objects.filter(prefix=options["prefix"]).first()
            if found is None:
                raise CommandError(_("No token with prefix %(p)s.") % {"p": options["prefix"]})
            token_revoke(token=found)
            self.stdout.write(_("Token %(p)s revoked.") % {"p": found.prefix})

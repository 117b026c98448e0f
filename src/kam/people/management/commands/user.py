"""``kam user create|set-role``: users with a role from the command line (no admin needed)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.people.models import Role, Territory, User
from kam.people.services import user_create, user_set_role


class Command(BaseCommand):
    help = _("Create a user with a role, or change a user's role.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help=_("Create a user with a role."))
        create.add_argument("--username", required=True)
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--email", default="")
        create.add_argument("--manager", help=_("User name of the manager."))
        create.add_argument("--territory", help=_("Code or name of the territory."))
        create.add_argument(
            "--password-from-stdin",
            action="store_true",
            help=_("Read the password from the first line of standard input."),
        )
        role = sub.add_parser("set-role", help=_("Change the role of a user."))
        role.add_argument("--username", required=True)
        role.add_argument("--role", required=True, choices=Role.values)

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user named %(name)s.") % {"name": username})
        return user

    def handle(self, *args, **options):
        try:
            if options["action"] == "create":
                self._create(options)
            else:
                user = user_set_role(user=self._user(options["username"]), role=options["role"])
                self.stdout.write(
                    _("%(user)s is now: %(role)s.")
                    % {"user": user.username, "role": user.get_role_display()}
                )
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def _create(self, options) -> None:
        manager = self._user(options["manager"]) if options.get("manager") else None
        territory = None
        if options.get("territory"):
            key = options["territory"]
            territory = Territory.objects.filter(Q(external_id=key) | Q(name=key)).first()
            if territory is None:
                raise CommandError(_("No territory with the code or name %(key)s.") % {"key": key})
        password = None
        if options["password_from_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError(_("No password on standard input."))
        user = user_create(
            username=options["username"],
            role=options["role"],
            email=options["email"],
            manager=manager,
            territory=territory,
            password=password,
        )
        self.stdout.write(
            _("User %(user)s created with the role %(role)s.")
            % {"user": user.username, "role": user.get_role_display()}
        )
        if password is None:
            self.stderr.write(
                _("No password set: use 'kam changepassword %(user)s' before signing in.")
                % {"user": user.username}
            )

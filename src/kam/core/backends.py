"""Authentication backends (decision 133)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

PRODUCT_PERMISSIONS = "kam."


class PasswordAndModelPermissionsBackend(ModelBackend):
    """Django's model backend (passwords; the model permissions the admin site checks) that
    does not look the product's own permissions up in the permission tables.

    Every ``kam.*`` permission is a rule (``kam.core.permissions``), decided by the user's role
    and relation to the object; the tables hold none of them (no application is labelled
    ``kam``). Asking the model backend about one that the rules refused loaded the user's and
    their groups' permissions, two queries on every page whose menu has an entry the user may
    not open."""

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if perm.startswith(PRODUCT_PERMISSIONS):
            return False
        return super().has_perm(user_obj, perm, obj)

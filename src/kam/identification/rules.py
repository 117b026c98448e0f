"""Who may nominate accounts, decide nominations and edit scoring models (loaded by ``rules``)."""

from __future__ import annotations

import rules

from kam.core.permissions import is_admin, is_executive, is_internal


@rules.predicate
def is_kam_or_sales_manager(user) -> bool:
    return is_internal(user) and user.role in ("kam", "sales_manager")


can_nominate = is_executive | is_kam_or_sales_manager
can_decide_nomination = is_executive
can_manage_scoring = is_admin | is_executive

rules.add_perm("kam.nominate_account", can_nominate)
rules.add_perm("kam.decide_nomination", can_decide_nomination)
rules.add_perm("kam.manage_scoring", can_manage_scoring)

"""The default assessment statements, six conditions × two, in English and Russian (editable;
decision 89). Reversing removes only the rows this migration wrote, by their English text."""

from django.db import migrations

STATEMENTS = [
    (1, "Key account management is part of how our company sells, not a separate project.",
     "Управление ключевыми клиентами — часть того, как продаёт вся компания, а не отдельный проект."),
    (1, "Sales targets of the key accounts are part of the company's sales plan and pipeline.",
     "Цели продаж по ключевым клиентам входят в план продаж и воронку компании."),
    (2, "Top management understands what key account management needs and supports it.",
     "Высшее руководство понимает, что нужно для работы с ключевыми клиентами, и поддерживает её."),
    (2, "Executives meet our key accounts in person when it matters.",
     "Руководители лично встречаются с ключевыми клиентами, когда это важно."),
    (3, "I know whom to ask in service, logistics or technical units, and they answer in time.",
     "Я знаю, к кому обратиться в сервисе, логистике или технической службе, и мне отвечают вовремя."),
    (3, "Sales and service units share what they learn about our key accounts.",
     "Продажи и сервисные службы делятся тем, что узнают о ключевых клиентах."),
    (4, "Every key account has a clear mission and goals written down in its plan.",
     "У каждого ключевого клиента есть ясная миссия и цели, записанные в плане."),
    (4, "I know how my work contributes to the goals of our key accounts.",
     "Я понимаю, как моя работа помогает достичь целей по ключевым клиентам."),
    (5, "Key account managers and field reps agree on what to do at each customer site.",
     "Менеджеры по работе с ключевыми клиентами и торговые представители на местах согласуют, что делать на каждой площадке клиента."),
    (5, "Field reps hear in time about plans and promises made at the head office of the customer.",
     "Торговые представители на местах вовремя узнают о планах и обещаниях, данных в головном офисе клиента."),
    (6, "We have a clear definition of what makes an account a key account.",
     "У нас есть ясное определение того, какой клиент является ключевым."),
    (6, "Accounts become key accounts by that definition, not by habit or by size alone.",
     "Клиенты становятся ключевыми по этому определению, а не по привычке или только по размеру."),
]


def seed(apps, schema_editor):
    Statement = apps.get_model("programme", "Statement")
    for position, (condition, en, ru) in enumerate(STATEMENTS):
        Statement.objects.get_or_create(
            condition=condition, text_en=en, defaults={"text_ru": ru, "position": position}
        )


def unseed(apps, schema_editor):
    Statement = apps.get_model("programme", "Statement")
    Statement.objects.filter(text_en__in=[en for _c, en, _ru in STATEMENTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("programme", "0001_campaigns")]
    operations = [migrations.RunPython(seed, unseed)]

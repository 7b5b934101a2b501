"""The rules' free text loses its numbers: the cabinet now writes them from the settings, so a
text that repeated them went wrong when a marketer changed a number. Only the untouched default
text is replaced; a text the marketer wrote is kept."""

from django.db import migrations

from loyalty.defaults import DEFAULT_RULES_TEXT, DEFAULT_RULES_TEXT_EN

OLD_RULES_TEXT = '1 балл = 1 ₽. Баллы начисляются за каждую покупку по ставке вашего уровня\nи округляются вниз до целого балла. Баллами можно оплатить до 30 % чека.\nБаллы действуют 6 месяцев с даты начисления, до конца этого дня.\n\nУровни: Базовый (до 10 000 ₽ покупок за 12 месяцев) — 1 балл за 50 ₽;\nСеребряный (от 10 000 ₽) — 1 балл за 40 ₽; Золотой (от 30 000 ₽) — 1 балл за 30 ₽.\nВ сумму покупок входят деньги, уплаченные за последние 12 месяцев (часть чека,\nоплаченная баллами, не входит), за вычетом возвратов.\nНовый уровень присваивается сразу, как только сумма покупок достигает порога:\nбаллы за эту покупку начисляются по прежней ставке, за следующую — по новой.\nУровень понижается только при ежедневном пересмотре. Если сумма покупок стала ниже\nпорога вашего уровня, уровень сохраняется ещё 30 дней (льготный период); если за это\nвремя сумма не вернулась к порогу, уровень снижается на одну ступень, и каждая\nследующая ступень — не раньше чем через 30 дней. Возврат сам по себе уровень не\nпонижает: он уменьшает сумму покупок, которую учитывает следующий пересмотр.\nУровень, закреплённый за вами программой, не понижается.'

OLD_RULES_TEXT_EN = "1 point = 1 ₽. Points are earned on every purchase at your tier's rate\nand rounded down to a whole point. Points can pay for up to 30 % of a check.\nPoints live 6 months from the day they were earned, to the end of that day.\n\nTiers: Base (under 10 000 ₽ spent in 12 months) — 1 point per 50 ₽;\nSilver (from 10 000 ₽) — 1 point per 40 ₽; Gold (from 30 000 ₽) — 1 point per 30 ₽.\nYour spend is the money you paid in the last 12 months (not the part paid with points),\nless refunds.\nA new tier is given at once when your spend reaches the threshold: the points of that\npurchase are earned at the old rate, the next purchase at the new one.\nA tier is lowered only at the daily review. If your spend falls below your tier's\nthreshold, you keep the tier for a 30-day grace period; if the spend has not come back\nby then, the tier goes one step down, and each further step waits another 30 days.\nA refund never lowers the tier by itself: it reduces the spend the next review counts.\nA tier the program has fixed for you is never lowered."


def replace_default_rules(apps, schema_editor):
    program = apps.get_model("loyalty", "Program")
    program.objects.filter(rules_text=OLD_RULES_TEXT).update(rules_text=DEFAULT_RULES_TEXT)
    program.objects.filter(rules_text_en=OLD_RULES_TEXT_EN).update(
        rules_text_en=DEFAULT_RULES_TEXT_EN
    )


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0016_audit_history")]

    operations = [migrations.RunPython(replace_default_rules, migrations.RunPython.noop)]

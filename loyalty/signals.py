from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from loyalty.models import Program, Tier
from loyalty.services.program import clear_cache


@receiver([post_save, post_delete], sender=Program)
@receiver([post_save, post_delete], sender=Tier)
def _forget_program(**kwargs) -> None:
    clear_cache()

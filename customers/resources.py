"""Import and export of members (django-import-export).

Import creates members only, each through the resource's `enroll` service (the loyalty admin
sets loyalty.services.enroll_member, which also opens the points account): the phone is
normalised, a member whose phone (in any notation) or e-mail is already taken is reported as a
row error, and a row without the personal-data consent is refused. Export writes the members
with their live consents. Columns are titled in the admin's language and a file is read back
in either language (core/resources.py).
"""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from core.resources import SheetDateWidget, TitledColumnsMixin
from customers.errors import DomainError, InvalidPhone, MemberExists
from customers.models import Consent, Member
from customers.phones import normalize_phone
from customers.services import register_member

CONSENT_COLUMNS = {
    "consent_personal_data": Consent.Kind.PERSONAL_DATA,
    "consent_marketing_email": Consent.Kind.MARKETING_EMAIL,
    "consent_marketing_sms": Consent.Kind.MARKETING_SMS,
    "consent_push": Consent.Kind.PUSH,
}
YES = {"1", "true", "yes", "y", "+", "да", "д", "x"}


def is_yes(value) -> bool:
    return str(value if value is not None else "").strip().lower() in YES


class ConsentField(fields.Field):
    """A yes/no column for one kind of consent: exported from the live consents, imported by
    the resource itself (it has no model attribute)."""

    def __init__(self, kind: str, column_name: str):
        super().__init__(attribute=None, column_name=column_name, widget=widgets.Widget())
        self.kind = kind

    def export(self, instance, **kwargs):
        live = getattr(instance, "live_consents", None)  # prefetched for export
        if live is not None:
            kinds = {c.kind for c in live}
        elif hasattr(instance, "import_consents"):  # a row being imported (preview)
            kinds = {kind for kind, given in instance.import_consents.items() if given}
        elif instance.pk:
            kinds = set(
                instance.consents.filter(withdrawn_at__isnull=True).values_list("kind", flat=True)
            )
        else:
            kinds = set()
        return "1" if self.kind in kinds else "0"


class MemberResource(TitledColumnsMixin, resources.ModelResource):
    column_titles = {
        "consent_personal_data": _("Consent to personal data processing"),
        "consent_marketing_email": _("Consent to marketing e-mails"),
        "consent_marketing_sms": _("Consent to marketing SMS"),
        "consent_push": _("Consent to push notifications"),
    }
    template_row = {
        "phone": "+79161234567",
        "first_name": "Анна",
        "last_name": "Иванова",
        "email": "anna@example.com",
        "birth_date": "1990-05-17",
        "consent_personal_data": "1",
        "consent_marketing_email": "1",
        "consent_marketing_sms": "0",
        "consent_push": "0",
    }

    phone = fields.Field(attribute="phone", column_name="phone")
    card_number = fields.Field(attribute="card_number", column_name="card_number", readonly=True)
    birth_date = fields.Field(
        attribute="birth_date", column_name="birth_date", widget=SheetDateWidget()
    )
    status = fields.Field(attribute="status", column_name="status", readonly=True)
    channel = fields.Field(attribute="channel", column_name="channel", readonly=True)
    created_at = fields.Field(
        attribute="created_at",
        column_name="created_at",
        readonly=True,
        widget=widgets.DateTimeWidget(),
    )
    consent_personal_data = ConsentField(Consent.Kind.PERSONAL_DATA, "consent_personal_data")
    consent_marketing_email = ConsentField(Consent.Kind.MARKETING_EMAIL, "consent_marketing_email")
    consent_marketing_sms = ConsentField(Consent.Kind.MARKETING_SMS, "consent_marketing_sms")
    consent_push = ConsentField(Consent.Kind.PUSH, "consent_push")

    class Meta:
        model = Member
        fields = (
            "phone",
            "card_number",
            "first_name",
            "last_name",
            "email",
            "birth_date",
            "status",
            "channel",
            "created_at",
            *CONSENT_COLUMNS,
        )
        import_id_fields = ()
        force_init_instance = True  # import only adds members; updates go through the profile
        skip_unchanged = False
        use_bulk = False
        clean_model_instances = False  # the enrolment service validates

    # The service that enrols one row; loyalty.admin.members swaps in the one that also opens
    # the member's points account (members never import the ledger).
    enroll = staticmethod(register_member)

    # --- export -----------------------------------------------------------------------------
    def filter_export(self, queryset, **kwargs):
        live = Consent.objects.filter(withdrawn_at__isnull=True).only("member_id", "kind")
        return queryset.prefetch_related(
            Prefetch("consents", queryset=live, to_attr="live_consents")
        )

    # --- import -----------------------------------------------------------------------------
    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        try:
            instance.phone = normalize_phone(str(row.get("phone") or ""))
        except InvalidPhone as exc:
            errors["phone"] = [str(exc.detail)]
        instance.import_consents = {
            kind: is_yes(row.get(column)) for column, kind in CONSENT_COLUMNS.items()
        }
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        try:
            member = self.enroll(
                phone=instance.phone,
                email=instance.email,
                first_name=instance.first_name or "",
                last_name=instance.last_name or "",
                birth_date=instance.birth_date,
                consents=instance.import_consents,
                channel=Member.Channel.IMPORT,
                source=Member.Channel.IMPORT,
                now=timezone.now(),
            )
        except MemberExists as exc:
            raise ValidationError({"phone": [str(exc.detail)]}) from exc
        except DomainError as exc:
            fields_map = {"consents": "consent_personal_data"}
            raise ValidationError(
                {fields_map.get(k, k): [str(m) for m in v] for k, v in exc.fields.items()}
                or {"__all__": [str(exc.detail)]}
            ) from exc
        instance.pk = member.pk
        instance.card_number = member.card_number
        instance.referral_code = member.referral_code
        instance.status = member.status
        instance.channel = member.channel
        instance.created_at = member.created_at

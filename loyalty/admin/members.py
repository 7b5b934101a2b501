"""The member admin of `customers`, enrolling through loyalty: a member added by hand or by
import gets their points account in the same transaction (members never import the ledger, so
the ledger plugs its enrolment service into their admin here)."""

from django.contrib import admin

from customers import admin as member_admin
from customers import resources
from customers.models import Member
from loyalty.services.enrolment import enroll_member


class MemberAddForm(member_admin.MemberAddForm):
    enroll = staticmethod(enroll_member)


class MemberResource(resources.MemberResource):
    enroll = staticmethod(enroll_member)


admin.site.unregister(Member)


@admin.register(Member)
class MemberAdmin(member_admin.MemberAdmin):
    add_form = MemberAddForm
    resource_classes = [MemberResource]

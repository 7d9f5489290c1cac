"""Demo data, created through the same services the console uses (so every rule holds).

Idempotent: each step first looks for what it would create, so running it again (or after an
interrupted run) completes the demo without duplicating anything.
"""

from datetime import timedelta

import time_machine
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from organizations import services
from organizations.choices import InvitationStatus
from organizations.models import Account, Department, Invitation, Membership, User

PASSWORD = "tco-demo-2026"
ACME = "Acme Group Co., Ltd."

# Issue 15, DEMO ONLY: one API key each for admin, member and outsider, with fixed published
# values so README.md can show a ready SDK snippet (SecretIds of 36 characters, as CAM's).
# Anyone can read these: never seed them on a console reachable by others.
DEMO_API_KEYS = [
    ("admin", "AKIDDEMOADMIN" + "0" * 23, "tcodemo-admin-secret-key-2026"),
    ("member", "AKIDDEMOMEMBER" + "0" * 22, "tcodemo-member-secret-key-2026"),
    ("outsider", "AKIDDEMOOUTSIDER" + "0" * 20, "tcodemo-outsider-secret-key-2026"),
]

# (department, parent): about 8 departments, up to depth 3.
DEPARTMENTS = [
    ("Engineering", "Root"),
    ("Platform", "Engineering"),
    ("Data", "Engineering"),
    ("Data-Warehouse", "Data"),
    ("Finance", "Root"),
    ("Sales", "Root"),
    ("Sales-East", "Sales"),
    ("Operations", "Root"),
]

# (member name, department, how it joins, pays on behalf?)
MEMBERS = [
    ("platform-prod", "Platform", "created", True),
    ("platform-staging", "Platform", "created", True),
    ("platform-ci", "Platform", "created", True),
    ("k8s-shared", "Platform", "invited", True),
    ("data-lake", "Data", "created", True),
    ("data-streaming", "Data", "created", True),
    ("dw-core", "Data-Warehouse", "created", True),
    ("dw-bi-reports", "Data-Warehouse", "invited", True),
    ("dw-sandbox", "Data-Warehouse", "invited", False),
    ("finance-erp", "Finance", "created", True),
    ("finance-audit", "Finance", "invited", False),
    ("sales-crm", "Sales", "created", True),
    ("sales-web", "Sales", "created", True),
    ("sales-east-shop", "Sales-East", "created", True),
    ("sales-east-cdn", "Sales-East", "invited", True),
    ("sales-east-lab", "Sales-East", "invited", False),
    ("ops-monitoring", "Operations", "created", True),
    ("ops-backup", "Operations", "created", True),
    ("ops-security", "Operations", "invited", True),
    ("ops-logs", "Operations", "invited", False),
    ("eng-sandbox", "Engineering", "invited", False),
    ("eng-tools", "Engineering", "created", True),
    ("mobile-app", "Engineering", "created", True),
    ("iot-gateway", "Engineering", "invited", True),
    ("brand-site", "Root", "created", True),
    ("hr-portal", "Root", "created", False),
    ("legal-archive", "Root", "invited", False),
    ("rnd-lab", "Root", "invited", False),
]

# F11: (tag, members) added in bulk; member-pob, ops-*, mobile-app and others stay untagged.
MEMBER_TAGS = [
    (("team", "platform"), ["platform-prod", "platform-staging", "platform-ci", "k8s-shared"]),
    (("team", "data"), ["data-lake", "data-streaming", "dw-core", "dw-bi-reports"]),
    (("team", "sales"), ["sales-crm", "sales-web", "sales-east-shop", "sales-east-cdn"]),
    (("env", "prod"), ["platform-prod", "data-lake", "dw-core", "sales-crm", "finance-erp"]),
    (("env", "staging"), ["platform-staging", "platform-ci", "data-streaming"]),
]
DEPARTMENT_TAGS = [
    ("Engineering", [("cost-center", "CC-1000")]),
    ("Finance", [("cost-center", "CC-2000")]),
]


class Command(BaseCommand):
    help = "Load the demo organization (Acme Group) and its logins. Safe to run repeatedly."

    def add_arguments(self, parser):
        parser.add_argument(
            "--logins-only", action="store_true", help="Only print the demo logins."
        )

    def handle(self, *args, **options):
        if options["logins_only"]:
            self.print_logins()
            return
        # The organization is built 180 days back, so orders, usage and membership periods (O11)
        # tell one consistent story; the outsider's invitation is sent today (it expires in 15).
        with time_machine.travel(timezone.now() - timedelta(days=180), tick=True):
            org, admin_user = self._organization()
            self._tags(org, admin_user)
        self._outsider(org, admin_user)

        from billing.demo import (
            seed_billing,
            seed_budgets,
            seed_credit,
            seed_invoicing,
            seed_payg,
            seed_selfpay,
            seed_transfers,
        )

        selfpay = User.objects.get(username="selfpay")
        if seed_billing(org, admin_user, selfpay_user=selfpay):
            self.stdout.write("Billing history written (orders, refunds, vouchers, offers).")
        if seed_payg(org, admin_user):
            self.stdout.write("Pay-as-you-go history settled (usage, packs, a payer in arrears).")
        if seed_selfpay(org):
            self.stdout.write("member-selfpay's own spend of the last weeks written.")
        if seed_transfers(org, admin_user):
            self.stdout.write("Funds transferred to member-selfpay, and part taken back.")
        if seed_credit(org, admin_user):
            self.stdout.write("Credit allocated to member-selfpay (1,000.00 + 500.00 temporary).")
        if seed_invoicing(org, admin_user):
            self.stdout.write("member-selfpay's invoice title saved and an invoice requested.")
        if seed_budgets(org, admin_user):
            self.stdout.write("Budgets created and evaluated (one past its 50 % threshold).")
        self._member_sub_user()
        self._api_keys()

        if not User.objects.filter(username="operator").exists():
            User.objects.create_superuser("operator", "operator@tco.example", PASSWORD)

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {org.memberships.count()} accounts in Acme Group."
            )
        )
        self.print_logins()

    def _organization(self):
        admin_user = self._sign_up("admin", "Acme Group", ACME)
        admin_account = admin_user.account
        if not Membership.objects.filter(account=admin_account).exists():
            services.organization_create(account=admin_account, acting_user=admin_user)
        org = Membership.objects.get(account=admin_account).organization

        self._sub_user(admin_account, "orgmanager", services.ORG_MANAGER_GROUP)

        for name, parent in DEPARTMENTS:
            if not Department.objects.filter(organization=org, name=name).exists():
                services.department_create(
                    organization=org,
                    parent=Department.objects.get(organization=org, name=parent),
                    name=name,
                    acting_user=admin_user,
                )

        # The two named member logins first: `member` pays on behalf, `selfpay` pays itself.
        self._invited(org, admin_user, "member", "member-pob", "Engineering", pay_on_behalf=True)
        # `selfpay` grants the admin its bills, balance, fund transfer, consolidated bills,
        # invoicing, cost analysis, budgets and credit limit (F1, F12): the member the admin
        # switches to in Billing Center and transfers funds to.
        self._invited(
            org,
            admin_user,
            "selfpay",
            "member-selfpay",
            "Finance",
            pay_on_behalf=False,
            permissions=[1, 2, 3, 4, 5, 8, 9, 10],
        )
        for name, dept, how, pob in MEMBERS:
            if Membership.objects.filter(organization=org, name=name).exists():
                continue
            if how == "created":
                services.member_create(
                    organization=org,
                    acting_user=admin_user,
                    name=name,
                    username=f"acme-{name}",
                    password=PASSWORD,
                    email=f"{name}@acme.example",
                    department=Department.objects.get(organization=org, name=dept),
                    permissions=[1, 2, 5, 7, 8] if pob else [1, 2, 5, 8],
                    payer=admin_account if pob else None,
                )
            else:
                self._invited(org, admin_user, f"acme-{name}", name, dept, pay_on_behalf=pob)

        return org, admin_user

    def _tags(self, org, admin_user):
        """F11: tags set before the history is written (a bill line copies its owner's tags),
        so cost analysis by `team` or `env` shows several values and "Untagged". Skipped once
        any member or department of the organization has tags (the user's edits stay)."""
        if (
            Membership.objects.filter(organization=org, tag_set__isnull=False).exists()
            or Department.objects.filter(organization=org, tag_set__isnull=False).exists()
        ):
            return
        members = {m.name: m for m in Membership.objects.filter(organization=org)}
        for pair, names in MEMBER_TAGS:
            chosen = [members[n] for n in names if n in members]
            if chosen:
                services.members_tags_bulk(memberships=chosen, add=[pair], acting_user=admin_user)
        if "member-selfpay" in members:
            services.member_tags_set(
                membership=members["member-selfpay"],
                pairs=[("team", "finance"), ("env", "prod"), ("cost-center", "CC-2001")],
                acting_user=admin_user,
            )
        for name, pairs in DEPARTMENT_TAGS:
            dept = Department.objects.filter(organization=org, name=name).first()
            if dept is not None:
                services.department_tags_set(department=dept, pairs=pairs, acting_user=admin_user)

    def _outsider(self, org, admin_user):
        outsider = self._sign_up("outsider", "Northwind Studio", "Northwind Studio Ltd.")
        if not Invitation.objects.filter(organization=org, invitee=outsider.account).exists():
            services.invitation_send(
                organization=org,
                acting_user=admin_user,
                uin=outsider.account.uin,
                name="northwind",
                remark="Design agency",
                department=Department.objects.get(organization=org, name="Sales"),
                permissions=[1, 2],
                allow_quit=True,
            )

    def _member_sub_user(self):
        """A1/P2: the `member` account's developer, who may use CVM only."""
        if User.objects.filter(username="member-dev").exists():
            return
        from billing.models.catalog import Product
        from organizations.services import sub_users as user_services

        owner = User.objects.get(username="member")
        user_services.sub_user_create(
            account=owner.account,
            acting_user=owner,
            username="member-dev",
            password=PASSWORD,
            display_name="Dev team",
            email="dev@member.example",
            groups=[services.RESOURCE_MANAGER_GROUP],
            products=list(Product.objects.filter(code="p_cvm")),
        )

    def _api_keys(self):
        """Issue 15: the demo API keys (`api_key_create_demo` is for this command only)."""
        from organizations.services.api_keys import api_key_create_demo

        for username, secret_id, secret_key in DEMO_API_KEYS:
            user = User.objects.get(username=username)
            api_key_create_demo(user=user, secret_id=secret_id, secret_key=secret_key)

    def print_logins(self):
        rows = [
            ("admin", "Acme Group's admin account (owner)"),
            ("orgmanager", "Acme Group sub-user, organization manager"),
            ("member", "invited member, pay-on-behalf by Acme Group"),
            ("member-dev", "sub-user of member, resource manager, CVM only"),
            ("selfpay", "invited member, self-pay"),
            ("outsider", "account in no organization, with a pending invitation"),
            ("acme-rnd-lab", "member that pays for two members and is in arrears"),
            ("operator", "operator (Django admin at /admin/)"),
        ]
        self.stdout.write(f"Demo logins (password for all: {PASSWORD}):")
        for login, what in rows:
            self.stdout.write(f"  {login:<13} {what}")
        self.stdout.write("Demo API keys (demo only; SecretId SecretKey):")
        for login, secret_id, secret_key in DEMO_API_KEYS:
            self.stdout.write(f"  {login:<13} {secret_id} {secret_key}")

    def _sign_up(self, username: str, account_name: str, enterprise: str) -> User:
        user = User.objects.filter(username=username).select_related("account").first()
        if user is None:
            user = services.account_sign_up(
                username=username,
                password=PASSWORD,
                email=f"{username}@example.com",
                account_name=account_name,
                enterprise_name=enterprise,
            )
        return user

    @transaction.atomic
    def _sub_user(self, account: Account, username: str, group: str) -> None:
        if not User.objects.filter(username=username).exists():
            user = User.objects.create_user(
                username, f"{username}@acme.example", PASSWORD, account=account
            )
            user.groups.add(Group.objects.get(name=group))

    def _invited(
        self, org, admin_user, username, name, dept, *, pay_on_behalf: bool, permissions=None
    ) -> None:
        user = self._sign_up(username, name, ACME)
        if Membership.objects.filter(account=user.account).exists():
            return
        inv = Invitation.objects.filter(
            organization=org, invitee=user.account, status=InvitationStatus.PENDING
        ).first() or services.invitation_send(
            organization=org,
            acting_user=admin_user,
            uin=user.account.uin,
            name=name,
            department=Department.objects.get(organization=org, name=dept),
            permissions=permissions or ([1, 2, 6, 7] if pay_on_behalf else [1, 2, 4]),
            payer=org.admin_account if pay_on_behalf else None,
            allow_quit=not pay_on_behalf,
        )
        services.invitation_accept(invitation=inv, acting_user=user)

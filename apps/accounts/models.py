"""Customer accounts (CRM-lite), renewals, people and their roles."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Segment(models.TextChoices):
    ENTERPRISE = "enterprise", "Enterprise"
    MID_MARKET = "mid_market", "Mid-market"
    SMB = "smb", "SMB"


class Vertical(models.TextChoices):
    BANKING = "banking", "Banking"
    HEALTHCARE = "healthcare", "Healthcare"
    RETAIL = "retail", "Retail"
    MANUFACTURING = "manufacturing", "Manufacturing"
    PUBLIC_SECTOR = "public_sector", "Public sector"
    OTHER = "other", "Other"


class JobRole(models.TextChoices):
    """What a customer's user does with the product; learning paths are aimed at job roles."""

    ADMINISTRATOR = "administrator", "Administrator"
    ANALYST = "analyst", "Analyst"
    DEVELOPER = "developer", "Developer"
    BUSINESS_USER = "business_user", "Business user"
    EXECUTIVE = "executive", "Executive"


class Level(models.TextChoices):
    BEGINNER = "beginner", "Beginner"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"


class TouchModel(models.TextChoices):
    HIGH = "high", "High touch"
    LOW = "low", "Low touch"


class LifecycleStage(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    ADOPTION = "adoption", "Adoption"
    EXPANSION = "expansion", "Expansion"
    RENEWAL = "renewal", "Renewal"


class AccountStatus(models.TextChoices):
    ACTIVE = "active", "Active customer"
    CHURNED = "churned", "Churned"


class AccountQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=AccountStatus.ACTIVE)

    def visible_to(self, user):
        """Staff see every account; a customer's user sees only their own."""
        if not user.is_authenticated:
            return self.none()
        if user.is_vendor_staff:
            return self
        return self.filter(pk=user.account_id)


class Account(models.Model):
    """A customer organisation of the vendor."""

    name = models.CharField(max_length=200, unique=True)
    external_id = models.CharField(
        max_length=100,
        unique=True,
        null=True,
        blank=True,
        help_text="The account's id in the CRM; integrations may refer to the account by it.",
    )
    segment = models.CharField(max_length=20, choices=Segment.choices)
    vertical = models.CharField(max_length=20, choices=Vertical.choices)
    touch_model = models.CharField(max_length=10, choices=TouchModel.choices, default=TouchModel.LOW)
    lifecycle_stage = models.CharField(
        max_length=20, choices=LifecycleStage.choices, default=LifecycleStage.ONBOARDING
    )
    arr = models.DecimalField(
        "ARR",
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Annual recurring revenue.",
    )
    licensed_seats = models.PositiveIntegerField(default=0)
    contract_start = models.DateField(null=True, blank=True)
    renewal_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=AccountStatus.choices, default=AccountStatus.ACTIVE)
    cs_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_accounts",
        limit_choices_to={"role": "cs_manager"},
        verbose_name="CS manager",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = AccountQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(arr__gte=0), name="account_arr_not_negative"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == AccountStatus.ACTIVE


class RenewalOutcome(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class Renewal(models.Model):
    """A renewal opportunity: what the account was due to renew, and what it did."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="renewals")
    close_date = models.DateField(help_text="The date the renewal was due (or closed).")
    planned_value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Annual value before the renewal (the previous ARR).",
    )
    renewed_value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Annual value after the renewal; empty while open, 0 when lost.",
    )
    outcome = models.CharField(max_length=10, choices=RenewalOutcome.choices, default=RenewalOutcome.OPEN)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-close_date"]
        constraints = [
            models.UniqueConstraint(fields=["account", "close_date"], name="renewal_once_per_account_date"),
            models.CheckConstraint(
                condition=Q(outcome="open", renewed_value__isnull=True)
                | Q(outcome="won", renewed_value__isnull=False, renewed_value__gte=0)
                | Q(outcome="lost", renewed_value__isnull=False, renewed_value=0),
                name="renewal_value_matches_outcome",
            ),
            models.CheckConstraint(condition=Q(planned_value__gte=0), name="renewal_planned_not_negative"),
        ]

    def __str__(self):
        return f"{self.account} renewal {self.close_date:%Y-%m-%d} ({self.get_outcome_display()})"

    @property
    def change(self) -> Decimal | None:
        """Expansion (positive) or contraction/loss (negative) against the planned value."""
        if self.renewed_value is None:
            return None
        return self.renewed_value - self.planned_value


class Role(models.TextChoices):
    LEARNER = "learner", "Learner"
    CUSTOMER_ADMIN = "customer_admin", "Customer admin"
    CONTENT_ADMIN = "content_admin", "Content admin"
    CS_MANAGER = "cs_manager", "CS manager"


CUSTOMER_ROLES = (Role.LEARNER, Role.CUSTOMER_ADMIN)
VENDOR_ROLES = (Role.CONTENT_ADMIN, Role.CS_MANAGER)


class UserQuerySet(models.QuerySet):
    def customers(self):
        return self.filter(role__in=CUSTOMER_ROLES)

    def visible_to(self, user):
        """Vendor staff see everyone; a customer's user sees the people of their own account."""
        if not user.is_authenticated:
            return self.none()
        if user.is_vendor_staff:
            return self
        return self.filter(account_id=user.account_id)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_superuser", False)
        extra.setdefault("is_staff", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_superuser=True, is_staff=True)
        extra.setdefault("role", Role.CS_MANAGER)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an e-mail address.

    Customers' users (learners, customer admins) belong to an account; vendor staff (content
    admins, CS managers) do not. An executive sponsor is a customer's user flagged as such.
    """

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.LEARNER)
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    is_executive_sponsor = models.BooleanField(default=False)
    job_title = models.CharField(max_length=120, blank=True)
    job_role = models.CharField(max_length=20, choices=JobRole.choices, blank=True)
    level = models.CharField(
        "experience with the product", max_length=20, choices=Level.choices, default=Level.BEGINNER
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the Django admin site.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=["learner", "customer_admin"], account__isnull=False)
                | Q(role__in=["content_admin", "cs_manager"], account__isnull=True),
                name="user_customer_roles_have_account",
            ),
            models.CheckConstraint(
                condition=Q(is_executive_sponsor=False) | Q(role__in=["learner", "customer_admin"]),
                name="user_sponsor_is_customer",
            ),
        ]
        indexes = [
            # The health recompute counts each account's people, and the account 360 page its
            # trained and certified people, from this index alone.
            models.Index(
                fields=["account"],
                include=["date_joined", "id"],
                condition=Q(is_active=True, account__isnull=False),
                name="user_active_by_account",
            ),
        ]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_customer(self) -> bool:
        return self.role in CUSTOMER_ROLES

    @property
    def is_vendor_staff(self) -> bool:
        return self.role in VENDOR_ROLES

    @property
    def is_customer_admin(self) -> bool:
        return self.role == Role.CUSTOMER_ADMIN

    @property
    def is_content_admin(self) -> bool:
        return self.role == Role.CONTENT_ADMIN

    @property
    def is_cs_manager(self) -> bool:
        return self.role == Role.CS_MANAGER

    @property
    def role_label(self) -> str:
        if self.is_executive_sponsor:
            return f"{self.get_role_display()} · Executive sponsor"
        return self.get_role_display()


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """A customer admin's invitation of a teammate. The link is single-use and expires.

    Only a SHA-256 digest of the token is stored, so a database leak does not leak live links.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(
        max_length=20, choices=[(r.value, r.label) for r in CUSTOMER_ROLES], default=Role.LEARNER
    )
    is_executive_sponsor = models.BooleanField(default=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
        ]

    def __str__(self):
        return f"Invitation of {self.email} to {self.account}"

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class ImportKind(models.TextChoices):
    ACCOUNTS = "accounts", "Accounts"
    RENEWALS = "renewals", "Renewals"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    """One upload of a CRM export (accounts or renewals) and what became of it.

    The uploaded text is kept so a Celery worker can run the import; `errors` holds the row-level
    report ({"row", "column", "message"}) when the file is rejected, in which case nothing is written.
    """

    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    file_name = models.CharField(max_length=255)
    content = models.TextField(help_text="The uploaded CSV, decoded.")
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(
        default=0, help_text="Problems found; `errors` keeps the first ones."
    )
    errors = models.JSONField(default=list, blank=True)
    ignored_columns = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} import of {self.file_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

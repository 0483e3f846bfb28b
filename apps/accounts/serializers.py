from rest_framework import serializers

from apps.accounts.models import Account, Renewal, User


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "full_name", "role", "is_executive_sponsor", "account", "job_title"]
        read_only_fields = fields


class AccountSerializer(serializers.ModelSerializer):
    cs_manager = serializers.SlugRelatedField(slug_field="email", read_only=True, allow_null=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "external_id",
            "segment",
            "vertical",
            "touch_model",
            "lifecycle_stage",
            "arr",
            "licensed_seats",
            "contract_start",
            "renewal_date",
            "status",
            "cs_manager",
        ]
        read_only_fields = fields


class RenewalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Renewal
        fields = ["id", "account", "close_date", "planned_value", "renewed_value", "outcome"]
        read_only_fields = fields

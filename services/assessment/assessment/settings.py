from __future__ import annotations

from pydantic import Field, field_validator

from shared.settings import ServiceSettings
from shared.webhook_targets import TargetPolicy


class AssessmentSettings(ServiceSettings):
    service: str = "assessment"
    http_port: int = 8104
    run_checkpoints: bool = Field(
        default=True, description="Run each checkpoint by itself once its date has come."
    )
    ledger_url: str = Field(
        default="http://127.0.0.1:8103", description="The ledger service, for the dashboard."
    )
    dashboard_heartbeat_seconds: float = Field(
        default=15.0, gt=0, description="How often the live feed tells browsers it is alive."
    )
    tick_seconds: float = Field(default=60.0, gt=0, description="How often the day is checked.")
    evaluate_each_batch: bool = Field(
        default=True,
        description=(
            "Re-evaluate the enterprises each batch touched and publish at once. A rebuild "
            "turns it off: it stores the facts alone, then evaluates every enterprise once."
        ),
    )
    notice_poll_seconds: float = Field(
        default=5.0, gt=0, description="How often the delivery loop looks for due notices."
    )
    notice_batch_size: int = Field(
        default=50, ge=1, le=1000, description="Notices one delivery round claims at most."
    )
    notice_timeout_seconds: float = Field(
        default=10.0, gt=0, description="How long one webhook call or SMTP session may take."
    )
    webhook_connect_timeout_seconds: float = Field(
        default=3.0, gt=0, description="How long a webhook's receiver may take to accept."
    )
    webhook_allow: str = Field(
        default="",
        description="Networks (CIDR), addresses and host names a webhook may reach although "
        "they are not public, over http too; comma-separated. Empty: https to public "
        "addresses only (shared.webhook_targets).",
    )
    notice_retry_first_seconds: float = Field(
        default=5.0, gt=0, description="Wait after a notice's first failed attempt (doubling)."
    )
    notice_retry_longest_seconds: float = Field(
        default=600.0, gt=0, description="The longest wait between two attempts."
    )
    notice_give_up_hours: float = Field(
        default=72.0, gt=0, description="A notice still undelivered this long after it arose fails."
    )
    smtp_host: str = Field(default="127.0.0.1", description="The SMTP server e-mail notices go to.")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = Field(
        default=False, description="Upgrade the SMTP session with STARTTLS."
    )
    smtp_username: str | None = Field(default=None, description="SMTP login, if the server asks.")
    smtp_password: str | None = Field(default=None, description="SMTP password for the login.")
    smtp_sender: str = Field(
        default="firstloan@localhost", description="The From address of e-mail notices."
    )
    document_max_bytes: int = Field(
        default=10 * 1024 * 1024,
        gt=0,
        description="The largest document (talk minutes, an issued circular) accepted.",
    )

    @field_validator("webhook_allow")
    @classmethod
    def allow_list_parses(cls, setting: str) -> str:
        TargetPolicy.parse(setting)
        return setting
